/**
 * Access tokens, with `jose`: this API signs HS256 JWTs for its own accounts (15 minutes) and checks
 * them; with a JWKS configured it also checks an identity provider's tokens (RS256, ES256, ...) against
 * the provider's published keys, fetched and cached by jose.
 *
 * Our claims: `sub` the user id, `role` customer|admin, `iss`, `aud`, `iat`, `exp`. A provider's token
 * names the user in a configured claim (a BlackJet user id) and the role in another.
 */
import {
  createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload,
} from 'jose';
import type { JwksConfig } from './config.ts';

export type Role = 'customer' | 'admin';

export interface Identity {
  userId: number;
  role: Role;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  jwks?: JwksConfig;
  /** Access token lifetime. Default 15 minutes. */
  accessTtlSeconds?: number;
}

export const ACCESS_TTL_SECONDS = 15 * 60;

/** Why a token was refused, in words a client can act on; never the token itself. */
export class InvalidToken extends Error {}

const isUserId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 2147483647;

export class Tokens {
  private readonly key: Uint8Array;
  private readonly remoteKeys: ReturnType<typeof createRemoteJWKSet> | undefined;
  readonly accessTtlSeconds: number;

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
    this.remoteKeys = settings.jwks ? createRemoteJWKSet(new URL(settings.jwks.url)) : undefined;
    this.accessTtlSeconds = settings.accessTtlSeconds ?? ACCESS_TTL_SECONDS;
  }

  async sign(identity: Identity): Promise<string> {
    return new SignJWT({ role: identity.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(String(identity.userId))
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.accessTtlSeconds}s`)
      .sign(this.key);
  }

  /** The identity a token proves, or InvalidToken. HS256 tokens are ours; anything else goes to the JWKS. */
  async verify(token: string): Promise<Identity> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new InvalidToken('The access token is malformed');
    }
    try {
      if (alg === 'HS256') return this.ours((await jwtVerify(token, this.key, this.ownChecks())).payload);
      if (this.remoteKeys && this.settings.jwks) {
        const { issuer, audience } = this.settings.jwks;
        return this.providers((await jwtVerify(token, this.remoteKeys, { issuer, audience, clockTolerance: 5 })).payload);
      }
    } catch (e) {
      if (e instanceof InvalidToken || e instanceof errors.JWKSTimeout) throw e;
      if (e instanceof errors.JWTExpired) throw new InvalidToken('The access token has expired');
      if (e instanceof errors.JWTClaimValidationFailed) throw new InvalidToken(`The access token's ${e.claim} claim is not accepted`);
      if (e instanceof errors.JOSEError) throw new InvalidToken('The access token is not valid');
      throw e; // the provider's JWKS unreachable and the like: not the client's fault
    }
    throw new InvalidToken(`The access token's algorithm ${String(alg)} is not accepted`);
  }

  private ownChecks() {
    return { issuer: this.settings.issuer, audience: this.settings.audience, algorithms: ['HS256'], clockTolerance: 5 };
  }

  private ours(payload: JWTPayload): Identity {
    const userId = Number(payload.sub);
    if (!/^\d+$/.test(payload.sub ?? '') || !isUserId(userId)) throw new InvalidToken('The access token names no user');
    if (payload.role !== 'customer' && payload.role !== 'admin') throw new InvalidToken('The access token carries no known role');
    return { userId, role: payload.role };
  }

  private providers(payload: JWTPayload): Identity {
    const { userClaim, roleClaim } = this.settings.jwks!;
    const raw = claimAt(payload, userClaim);
    const userId = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (!isUserId(userId)) throw new InvalidToken(`The access token's ${userClaim} claim is not a user id`);
    const role = claimAt(payload, roleClaim);
    const admin = role === 'admin' || (Array.isArray(role) && role.includes('admin'));
    return { userId, role: admin ? 'admin' : 'customer' };
  }
}

/** `realm_access.roles` reaches into nested objects; a claim whose own name has dots is found first. */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}
