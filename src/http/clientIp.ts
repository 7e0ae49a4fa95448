/**
 * Who is calling: one client-IP function for REST and Socket.IO, and the key rate limits count by.
 *
 * The client IP follows Express's `trust proxy` rules (package proxy-addr): X-Forwarded-For is walked from
 * the right, and the first address that is not a trusted proxy is the client. So a client can prepend
 * whatever it likes to the header and still be counted as itself. Nothing is trusted by default.
 */
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import proxyaddr from 'proxy-addr';

/**
 * TRUST_PROXY, parsed (config.ts): how many proxy hops in front of the instance to trust (0: none, the
 * default), or which proxy addresses to trust (IPs, CIDR ranges, `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = number | readonly string[];

export type TrustFunction = (address: string, hop: number) => boolean;

/** The predicate Express and proxy-addr take, compiled once. */
export function compileTrust(trust: TrustProxy): TrustFunction {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile([...trust]);
}

/** The client's IP: the rightmost X-Forwarded-For hop that is not a trusted proxy (or the peer itself). */
export function clientIp(req: IncomingMessage, trust: TrustFunction): string {
  return req.socket.remoteAddress === undefined ? 'unknown' : proxyaddr(req, trust);
}

/** Whatever an authenticated request carries to say who it is (set by the identity layer, when there is one). */
export interface MaybeIdentified {
  user?: { id: string | number };
  ip?: string;
}

/**
 * What a rate limit counts by: the user when the request is authenticated, otherwise the client IP
 * (IPv6 by its /56, so one host cannot rotate through its own addresses).
 */
export function rateLimitKey(req: IncomingMessage & MaybeIdentified): string {
  if (req.user !== undefined) return `user:${req.user.id}`;
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}
