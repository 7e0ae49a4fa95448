/**
 * From the configuration to the server's identity settings, at start (main.ts, start:pair).
 */
import type { Config } from '../config.ts';
import { ConfigError } from '../configError.ts';
import type { ServerOptions } from '../server.ts';
import { prepareDemoIdentity } from './demo.ts';
import { MIN_SECRET_LENGTH } from './config.ts';

/** Before anything starts: a server in jwt mode on an existing database must have its signing key. */
export function requireSigningKey(config: Config): void {
  if (config.auth.mode === 'jwt' && !config.auth.secret && config.databaseUrl) {
    throw new ConfigError('AUTH_JWT_SECRET is required with AUTH_MODE=jwt (the default): a random string of at least '
      + `${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 48\`); or AUTH_MODE=none for the open contract`);
  }
}

/**
 * The server's identity settings from the configuration; for the embedded demo in jwt mode, also its
 * signing key (unless AUTH_JWT_SECRET is set) and accounts, with the password printed for the developer.
 */
export async function identitySettings(config: Config, database: { embedded: boolean; ownerUrl?: string }): Promise<ServerOptions['auth']> {
  const { auth } = config;
  if (auth.mode === 'none') return auth;
  let secret = auth.secret;
  if (database.embedded && database.ownerUrl) {
    const demo = await prepareDemoIdentity(config.dataDir, database.ownerUrl);
    secret ??= demo.signingKey;
    process.stdout.write('demo accounts: user<id>@blackjet.example for each seeded user (user1@blackjet.example, ...) and '
      + `admin@blackjet.example; password: ${demo.password}\n`);
  }
  if (!secret) throw new ConfigError('AUTH_JWT_SECRET is required with AUTH_MODE=jwt'); // requireSigningKey said so first
  return { ...auth, secret };
}
