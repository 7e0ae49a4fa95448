/**
 * Who is asking, and may they? Every /api request passes `authenticate` first: it checks a bearer token
 * when there is one and records the caller in `res.locals.caller`. Routes then ask `callerOf(res)` (401
 * when a token is needed and none came) and `mayActFor(caller, userId)`.
 *
 * AUTH_MODE=none is the open contract of the spec: every caller is `open` and may act for any user.
 * A token that is present but invalid (bad signature, expired, wrong audience or issuer) is a 401 on
 * every /api operation, public ones included (a client with a broken token should hear it at once), except
 * /api/auth/*, which ignores the header.
 */
import type { RequestHandler, Response } from 'express';
import { type Identity, InvalidToken, type Tokens } from '../auth/tokens.ts';
import { ApiError, serviceUnavailable } from './errors.ts';

export type Caller = { kind: 'open' } | ({ kind: 'user' } & Identity);

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

export const unauthorized = (message: string) =>
  new ApiError(401, { error: 'unauthorized', message }, { 'WWW-Authenticate': 'Bearer realm="blackjet", error="invalid_token"' });

export const forbidden = (message: string) => new ApiError(403, { error: 'forbidden', message });

/** `tokens` undefined: AUTH_MODE=none. */
export function authenticate(tokens: Tokens | undefined): RequestHandler {
  return (req, res, next) => {
    if (!tokens) {
      res.locals.caller = { kind: 'open' } satisfies Caller;
      return next();
    }
    // /api/auth/* takes no access token: refreshing is exactly what a client with an expired one does.
    if (!req.path.startsWith('/api/') || req.path.startsWith('/api/auth/')) return next();
    const header = req.get('authorization');
    if (header === undefined) return next();
    const match = BEARER.exec(header);
    if (!match) return next(unauthorized('The Authorization header must be "Bearer <access token>"'));
    tokens.verify(match[1]!).then((identity) => {
      res.locals.caller = { kind: 'user', ...identity } satisfies Caller;
      next();
    }, (e: unknown) => {
      if (e instanceof InvalidToken) return next(unauthorized(e.message));
      req.log.warn({ err: e }, 'access token could not be checked'); // the provider's keys unreachable
      next(serviceUnavailable());
    });
  };
}

/** The caller of an operation that needs one: 401 when a token is required and none came. */
export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw unauthorized('This operation needs an access token: Authorization: Bearer <accessToken> (POST /api/auth/login)');
  return caller;
}

/** The caller, if any: for operations anyone may call (rate limits key on it). */
export const optionalCaller = (res: Response): Caller | undefined => res.locals.caller as Caller | undefined;

/**
 * Operations on what is sold (flight management): admins only when identity is on (401 without a token,
 * 403 for a customer); anyone in the open contract.
 */
export function requireAdmin(res: Response): void {
  const caller = callerOf(res);
  if (caller.kind === 'user' && caller.role !== 'admin') throw forbidden('Only an admin may manage flights');
}

/** A customer acts only for itself; an admin for anyone; the open contract for anyone. */
export const mayActFor = (caller: Caller, userId: number) =>
  caller.kind === 'open' || caller.role === 'admin' || caller.userId === userId;
