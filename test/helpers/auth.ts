/** Identity for tests: an API in jwt mode, and access tokens good and bad, made with jose as the API makes them. */
import { SignJWT } from 'jose';
import type { ServerOptions } from '../../src/server.ts';

export const TEST_JWT = { secret: 'test-signing-key-0123456789abcdef-0123456789', issuer: 'blackjet', audience: 'blackjet-api' };

/** Server options for AUTH_MODE=jwt with the test key; login limits off unless given. */
export function jwtAuth(extra: Partial<Extract<ServerOptions['auth'], { mode: 'jwt' }>> = {}): ServerOptions['auth'] {
  return { mode: 'jwt', ...TEST_JWT, ...extra };
}

export interface TokenOverrides {
  role?: string;
  secret?: string;
  audience?: string;
  issuer?: string;
  /** Seconds from now; negative: already expired. Default 900. */
  expiresIn?: number;
}

export function accessToken(userId: number, overrides: TokenOverrides = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: overrides.role ?? 'customer' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuer(overrides.issuer ?? TEST_JWT.issuer)
    .setAudience(overrides.audience ?? TEST_JWT.audience)
    .setIssuedAt(now - 1000)
    .setExpirationTime(now + (overrides.expiresIn ?? 900))
    .sign(new TextEncoder().encode(overrides.secret ?? TEST_JWT.secret));
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
