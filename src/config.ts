/**
 * Configuration, from environment variables only, checked at start. A bad value stops the process
 * with a message that names the variable and what is wrong with it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Config {
  /** PORT: HTTP and Socket.IO port. Default 3000. */
  port: number;
  /** DATABASE_URL: an existing PostgreSQL (15+). Unset: run the embedded one. */
  databaseUrl: string | undefined;
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
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: portFrom(env, 'PORT', 3000),
    databaseUrl: databaseUrlFrom(env),
    dataDir: path.resolve(PROJECT_ROOT, env.BLACKJET_DATA_DIR || '.data/postgres'),
    embeddedPgPort: portFrom(env, 'EMBEDDED_PG_PORT', 54329),
    seedDir: path.resolve(PROJECT_ROOT, env.SEED_DIR || 'seed_data'),
    maxSubscriptionsPerSocket: positiveIntegerFrom(env, 'WS_MAX_SUBSCRIPTIONS', 50),
    corsOrigins: corsOriginsFrom(env),
  };
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

function databaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a URL (expected postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, not ${url.protocol}//`);
  }
  return raw;
}
