/**
 * Configuration, from environment variables only, checked at start. A bad value stops the process
 * with a message that names the variable and what is wrong with it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOKING_BATCH_LIMIT, DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS, DEFAULT_POOL_SIZE } from './db/sizes.ts';
import { type AuthConfig, authConfigFrom } from './auth/config.ts';
import { LOG_LEVELS } from './log.ts';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from './auth/clientIp.ts';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Config {
  /** PORT: HTTP and Socket.IO port. Default 3000. */
  port: number;
  /**
   * DATABASE_URL: an existing PostgreSQL (15+), as the role the API runs as (ideally blackjet_api, see
   * sql/privileges.sql). Unset: run the embedded one.
   */
  databaseUrl: string | undefined;
  /**
   * MIGRATION_DATABASE_URL: the schema owner. `npm run db:*` default to DATABASE_URL; an API instance
   * migrates (and may load demo data) only when given it.
   */
  migrationDatabaseUrl: string | undefined;
  /** SEED: `demo` loads seed_data/ into an empty database on start (the embedded one always gets it). */
  seed: 'demo' | undefined;
  /** BLACKJET_DATA_DIR: the embedded database's data dir. Default .data/postgres (git-ignored). */
  dataDir: string;
  /** EMBEDDED_PG_PORT: the embedded database's port. Default 54329. */
  embeddedPgPort: number;
  /** SEED_DIR: CSV seed files loaded into an empty database. Default seed_data/. */
  seedDir: string;
  /** WS_MAX_SUBSCRIPTIONS: flights one WebSocket connection may watch at once. Default 50. */
  maxSubscriptionsPerSocket: number;
  /**
   * CORS_ORIGINS: comma-separated origins (`https://app.example.com,http://localhost:5173`) whose web pages
   * may call the API from a browser. Default none: only same-origin pages (such as /docs) can.
   */
  corsOrigins: string[];
  /** LOG_LEVEL: fatal, error, warn, info, debug or trace. Default info. LOG_PRETTY=1: human-readable. */
  logLevel: string;
  /** SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for requests in flight. Default 10000. */
  shutdownTimeoutMs: number;
  /** RATE_LIMIT_BOOKINGS_PER_MINUTE: booking requests per client a minute; 0 turns it off. Default 60. */
  bookingsPerMinute: number;
  /** RATE_LIMIT_READS_PER_MINUTE: GET /api/... requests per client a minute; 0 turns it off. Default 600. */
  readsPerMinute: number;
  /** RATE_LIMIT_CANCELLATIONS_PER_MINUTE: cancellations per client a minute; 0 turns it off. Default 30. */
  cancellationsPerMinute: number;
  /** READ_STATEMENT_TIMEOUT_MS: how long one read query (lists, seat maps, snapshots) may run. Default 2000. */
  readStatementTimeoutMs: number;
  /** REQUEST_TIMEOUT_MS: the longest a client may take to send a whole request, headers and body. Default 30000. */
  requestTimeoutMs: number;
  /** WS_MAX_CONNECTIONS_PER_IP: Socket.IO connections per client IP per instance; 0 turns it off. Default 100. */
  maxConnectionsPerIp: number;
  /**
   * TRUST_PROXY: behind a load balancer, which proxies to trust for the client IP (Express `trust proxy`):
   * a hop count, or proxy addresses (IPs, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`). Default 0: none.
   */
  trustProxy: TrustProxy;
  /**
   * NOTIFICATION_SIGNING_KEY: base64 of at least 32 random bytes (`openssl rand -base64 48`), the key seat
   * notifications are signed with. Needed by an API instance given only its own role; the owner's step
   * (`npm run db:migrate`) stores it. Unset: the key the database made itself, read through the owner.
   */
  notificationSigningKey: Buffer | undefined;
  /**
   * BOOKING_BATCH_MAX: bookings that may share one transaction (1..30; 1 turns batching off). Default 16.
   * BOOKING_CONNECTIONS: booking transactions running at once (1 or more, at most the pool). Default 4.
   */
  booking: { maxBatch: number; connections: number };
  /** Identity: AUTH_MODE and the AUTH_* variables (see src/auth/config.ts). */
  auth: AuthConfig;
  /** METRICS_PORT: serve /metrics on this port only (not on PORT). Default unset. */
  metricsPort: number | undefined;
  /** METRICS_TOKEN: /metrics on PORT needs `Authorization: Bearer <token>`. Default unset. */
  metricsToken: string | undefined;
  /** HOLD_TTL_SECONDS: how long a hold keeps its seats (1 to 86400). Default 300. */
  holdTtlSeconds: number;
}

export { ConfigError } from './configError.ts';
import { ConfigError } from './configError.ts';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: portFrom(env, 'PORT', 3000),
    databaseUrl: databaseUrlFrom(env, 'DATABASE_URL'),
    migrationDatabaseUrl: databaseUrlFrom(env, 'MIGRATION_DATABASE_URL'),
    seed: seedFrom(env),
    dataDir: path.resolve(PROJECT_ROOT, env.BLACKJET_DATA_DIR || '.data/postgres'),
    embeddedPgPort: portFrom(env, 'EMBEDDED_PG_PORT', 54329),
    seedDir: path.resolve(PROJECT_ROOT, env.SEED_DIR || 'seed_data'),
    maxSubscriptionsPerSocket: positiveIntegerFrom(env, 'WS_MAX_SUBSCRIPTIONS', 50),
    corsOrigins: corsOriginsFrom(env),
    logLevel: logLevelFrom(env),
    shutdownTimeoutMs: wholeNumberFrom(env, 'SHUTDOWN_TIMEOUT_MS', 10_000),
    bookingsPerMinute: wholeNumberFrom(env, 'RATE_LIMIT_BOOKINGS_PER_MINUTE', 60),
    readsPerMinute: wholeNumberFrom(env, 'RATE_LIMIT_READS_PER_MINUTE', 600),
    cancellationsPerMinute: wholeNumberFrom(env, 'RATE_LIMIT_CANCELLATIONS_PER_MINUTE', 30),
    readStatementTimeoutMs: positiveIntegerFrom(env, 'READ_STATEMENT_TIMEOUT_MS', 2_000),
    requestTimeoutMs: positiveIntegerFrom(env, 'REQUEST_TIMEOUT_MS', 30_000),
    maxConnectionsPerIp: wholeNumberFrom(env, 'WS_MAX_CONNECTIONS_PER_IP', 100),
    trustProxy: trustProxyFrom(env),
    notificationSigningKey: notificationSigningKeyFrom(env),
    booking: {
      maxBatch: integerBetween(env, 'BOOKING_BATCH_MAX', DEFAULT_BOOKING_BATCH_MAX, 1, BOOKING_BATCH_LIMIT),
      connections: integerBetween(env, 'BOOKING_CONNECTIONS', DEFAULT_BOOKING_CONNECTIONS, 1, DEFAULT_POOL_SIZE),
    },
    auth: authConfigFrom(env),
    metricsPort: env.METRICS_PORT ? portFrom(env, 'METRICS_PORT', 0) : undefined,
    metricsToken: metricsTokenFrom(env),
    holdTtlSeconds: holdTtlFrom(env),
  };
}

function metricsTokenFrom(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  return raw;
}

function notificationSigningKeyFrom(env: NodeJS.ProcessEnv): Buffer | undefined {
  const raw = env.NOTIFICATION_SIGNING_KEY?.trim();
  if (raw === undefined || raw === '') return undefined;
  const key = Buffer.from(raw, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || key.length < 32) {
    throw new ConfigError('NOTIFICATION_SIGNING_KEY must be base64 of at least 32 random bytes (openssl rand -base64 48)');
  }
  return key;
}

function logLevelFrom(env: NodeJS.ProcessEnv): string {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return 'info';
  if (!LOG_LEVELS.includes(raw)) throw new ConfigError(`LOG_LEVEL="${raw}" is not one of ${LOG_LEVELS.join(', ')}`);
  return raw;
}

function seedFrom(env: NodeJS.ProcessEnv): 'demo' | undefined {
  const raw = env.SEED;
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'demo') throw new ConfigError(`SEED="${raw}" is not known: set SEED=demo to load the demo data, or leave it unset`);
  return raw;
}

function wholeNumberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ConfigError(`${name}="${raw}" is not a whole number (0 or more)`);
  return Number(raw);
}

function holdTtlFrom(env: NodeJS.ProcessEnv): number {
  const seconds = positiveIntegerFrom(env, 'HOLD_TTL_SECONDS', 300);
  if (seconds > 86_400) throw new ConfigError(`HOLD_TTL_SECONDS="${env.HOLD_TTL_SECONDS}" is more than a day (86400)`);
  return seconds;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * A hop count, or a comma-separated list of proxy addresses, each checked by proxy-addr itself. `true`
 * is refused: trusting every hop lets any client choose its own address by sending X-Forwarded-For.
 */
function trustProxyFrom(env: NodeJS.ProcessEnv): TrustProxy {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return 0;
  const expected = 'expected a hop count such as 1, or proxy addresses such as "loopback, 10.0.0.0/8"';
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > 32) throw new ConfigError(`TRUST_PROXY="${raw}" is more proxy hops than any deployment has (0-32)`);
    return Number(raw);
  }
  if (raw === 'true') throw new ConfigError(`TRUST_PROXY=true would let any client pick its own address; ${expected}`);
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (PROXY_NAMES.includes(entry)) continue;
    try {
      proxyaddr.compile(entry);
    } catch {
      throw new ConfigError(`TRUST_PROXY entry "${entry}" is not an IP address, CIDR range or ${PROXY_NAMES.join('/')}; ${expected}`);
    }
  }
  return entries;
}

function integerBetween(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name}="${raw}" is not a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function positiveIntegerFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(`${name}="${raw}" is not a positive whole number`);
  return Number(raw);
}

/** Exact http(s) origins only (scheme, host, optional port): no paths, no trailing slash, no wildcards. */
function corsOriginsFrom(env: NodeJS.ProcessEnv): string[] {
  const entries = (env.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  const isOrigin = (text: string) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
    } catch {
      return false;
    }
  };
  const bad = entries.find((entry) => !isOrigin(entry));
  if (bad !== undefined) {
    throw new ConfigError(`CORS_ORIGINS entry "${bad}" is not an origin (expected e.g. https://app.example.com, without a path)`);
  }
  return entries;
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new ConfigError(`${name}="${raw}" is not a port number (0-65535)`);
  }
  return port;
}

function databaseUrlFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL (expected postgres://user:password@host:5432/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://, not ${url.protocol}//`);
  }
  return raw;
}
