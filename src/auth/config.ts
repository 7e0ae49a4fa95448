/**
 * Identity settings, from the environment (part of loadConfig()).
 *
 *   AUTH_MODE            jwt (default): bookings need an access token; none: the open contract of the spec
 *   AUTH_JWT_SECRET      HS256 key for the access tokens this API signs (at least 32 characters); a server
 *                        with AUTH_MODE=jwt and DATABASE_URL needs it. The embedded demo generates one.
 *   AUTH_JWT_ISSUER      `iss` of our tokens. Default blackjet
 *   AUTH_JWT_AUDIENCE    `aud` of our tokens. Default blackjet-api
 *   AUTH_JWKS_URL        also accept an identity provider's tokens, checked against its JWKS
 *   AUTH_JWKS_ISSUER     the provider's `iss` (required with AUTH_JWKS_URL)
 *   AUTH_JWKS_AUDIENCE   the `aud` the provider puts in tokens for this API (required with AUTH_JWKS_URL)
 *   AUTH_JWKS_USER_CLAIM the claim holding the BlackJet user id. Default blackjet_user_id
 *   AUTH_JWKS_ROLE_CLAIM the claim holding the role (a string or a list; "admin" in it makes an admin);
 *                        a dotted path reaches into objects (realm_access.roles). Default blackjet_role
 *   RATE_LIMIT_LOGINS_PER_IP       login and registration attempts per client IP a minute. Default 30
 *   RATE_LIMIT_LOGINS_PER_ACCOUNT  failed logins per email per 15 minutes. Default 10
 */
import { ConfigError } from '../configError.ts';

export const MIN_SECRET_LENGTH = 32;

export interface JwksConfig {
  url: string;
  issuer: string;
  audience: string;
  userClaim: string;
  roleClaim: string;
}

export interface JwtConfig {
  mode: 'jwt';
  /**
   * Unset: the embedded demo generates one into its data dir; a server with DATABASE_URL refuses to start
   * (requireSigningKey in settings.ts). The database tools (db:migrate, ...) need none.
   */
  secret: string | undefined;
  issuer: string;
  audience: string;
  jwks: JwksConfig | undefined;
}

export type AuthConfig = (JwtConfig | { mode: 'none' }) & {
  loginsPerIpPerMinute: number;
  failedLoginsPerAccount: number;
};

export function authConfigFrom(env: NodeJS.ProcessEnv): AuthConfig {
  const limits = {
    loginsPerIpPerMinute: wholeNumber(env, 'RATE_LIMIT_LOGINS_PER_IP', 30),
    failedLoginsPerAccount: wholeNumber(env, 'RATE_LIMIT_LOGINS_PER_ACCOUNT', 10),
  };
  const mode = env.AUTH_MODE || 'jwt';
  if (mode === 'none') return { mode: 'none', ...limits };
  if (mode !== 'jwt') throw new ConfigError(`AUTH_MODE="${mode}" must be jwt or none`);

  const secret = env.AUTH_JWT_SECRET || undefined;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`AUTH_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  return {
    mode: 'jwt',
    secret,
    issuer: env.AUTH_JWT_ISSUER || 'blackjet',
    audience: env.AUTH_JWT_AUDIENCE || 'blackjet-api',
    jwks: jwksFrom(env),
    ...limits,
  };
}

function jwksFrom(env: NodeJS.ProcessEnv): JwksConfig | undefined {
  const url = env.AUTH_JWKS_URL;
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`AUTH_JWKS_URL="${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError('AUTH_JWKS_URL must be an http(s) URL');
  if (!env.AUTH_JWKS_ISSUER) throw new ConfigError('AUTH_JWKS_ISSUER is required with AUTH_JWKS_URL: the provider\'s `iss`');
  if (!env.AUTH_JWKS_AUDIENCE) throw new ConfigError('AUTH_JWKS_AUDIENCE is required with AUTH_JWKS_URL: the `aud` of tokens for this API');
  return {
    url,
    issuer: env.AUTH_JWKS_ISSUER,
    audience: env.AUTH_JWKS_AUDIENCE,
    userClaim: env.AUTH_JWKS_USER_CLAIM || 'blackjet_user_id',
    roleClaim: env.AUTH_JWKS_ROLE_CLAIM || 'blackjet_role',
  };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ConfigError(`${name}="${raw}" is not a whole number (0 or more)`);
  return Number(raw);
}
