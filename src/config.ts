/**
 * Configuration, from environment variables only, checked at start. A bad value stops the process
 * with a message that names the variable and what is wrong with it.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOKING_BATCH_LIMIT, DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS } from './db/bookingQueue.ts';
import { DEFAULT_POOL_SIZE } from './db/client.ts';

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
  /** RATE_LIMIT_BOOKINGS_PER_MINUTE: booking requests per client IP a minute; 0 turns it off. Default 60. */
  bookingsPerMinute: number;
  /** WS_MAX_CONNECTIONS_PER_IP: Socket.IO connections per client IP per instance; 0 turns it off. Default 100. */
  maxConnectionsPerIp: number;
  /**
   * TRUST_PROXY: behind a load balancer, which hops to trust for the client IP (Express `trust proxy`):
   * `true`, a hop count, or addresses/`loopback`. Default off.
   */
  trustProxy: boolean | number | string;
  /**
   * BOOKING_BATCH_MAX: bookings that may share one transaction (1..30; 1 turns batching off). Default 16.
   * BOOKING_CONNECTIONS: booking transactions running at once (1 or more, at most the pool). Default 4.
   */
  booking: { maxBatch: number; connections: number };
}

export class ConfigError extends Error {}

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
    maxConnectionsPerIp: wholeNumberFrom(env, 'WS_MAX_CONNECTIONS_PER_IP', 100),
    trustProxy: trustProxyFrom(env),
    booking: {
      maxBatch: integerBetween(env, 'BOOKING_BATCH_MAX', DEFAULT_BOOKING_BATCH_MAX, 1, BOOKING_BATCH_LIMIT),
      connections: integerBetween(env, 'BOOKING_CONNECTIONS', DEFAULT_BOOKING_CONNECTIONS, 1, DEFAULT_POOL_SIZE),
    },
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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

function trustProxyFrom(env: NodeJS.ProcessEnv): boolean | number | string {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  // Addresses or subnets, or Express's named ranges; anything else would only fail later, inside Express.
  const isAddress = (entry: string) => {
    const [address = '', prefix, extra] = entry.split('/');
    return ['loopback', 'linklocal', 'uniquelocal'].includes(entry)
      || (isIP(address) !== 0 && extra === undefined && (prefix === undefined || /^\d{1,3}$/.test(prefix) || isIP(prefix) !== 0));
  };
  if (raw.split(',').every((entry) => isAddress(entry.trim()))) return raw;
  throw new ConfigError(`TRUST_PROXY="${raw}" must be true, false, a hop count, or addresses such as "loopback, 10.0.0.0/8"`);
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
