/**
 * Who is calling: one client-IP function for REST (Express's req.ip, with the same trust) and Socket.IO.
 * Rate limits count by the user when signed in, else by this IP (rateLimitKey in rateLimits.ts).
 *
 * The client IP follows Express's `trust proxy` rules (package proxy-addr): X-Forwarded-For is walked from
 * the right, and the first address that is not a trusted proxy is the client. So a client can prepend
 * whatever it likes to the header and still be counted as itself. Nothing is trusted by default.
 */
import type { IncomingMessage } from 'node:http';
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
