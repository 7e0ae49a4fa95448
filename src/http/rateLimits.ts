/**
 * Rate limits: who counts as one client, and the 429 every limit answers with.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { optionalCaller } from './access.ts';
import { ApiError } from './errors.ts';

/**
 * One client: the signed-in user when there is one (wherever they connect from), else the client IP
 * (req.ip, from X-Forwarded-For under TRUST_PROXY's rules as in clientIp.ts; IPv6 by its /56).
 */
export function rateLimitKey(req: Request, res: Response): string {
  const caller = optionalCaller(res);
  return caller?.kind === 'user' ? `user:${caller.userId}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

export interface LimitOptions {
  windowMs: number;
  limit: number;
  /** Default: rateLimitKey. */
  key?: (req: Request, res: Response) => string;
  /** Count only failed requests (status >= 400). */
  failuresOnly?: boolean;
  /** The 429 message. */
  message: string;
}

export function limiter(options: LimitOptions): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: options.key ?? rateLimitKey,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    handler: (req, _res, next) => {
      const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      next(new ApiError(429, { error: 'rate_limited', message: options.message }, { 'Retry-After': String(seconds) }));
    },
  });
}
