/**
 * POST /api/auth/register, /login, /refresh, /logout. The rules are in SQL (sql/accounts.sql); here the
 * access token is signed and the answers are shaped. Login and registration are rate limited per client
 * IP, failed logins also per email.
 */
import { Router } from 'express';
import { login, logout, refreshSession, registerAccount } from '../auth/accounts.ts';
import type { Tokens } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { apiErrorFromSqlState, rethrowFromDatabase } from './errors.ts';
import { limiter } from './rateLimits.ts';
import type { LoginRequest, RefreshRequest, RegisterRequest, TokenPair } from './schemas.ts';
import { ipKeyGenerator } from 'express-rate-limit';

export interface AuthRouteOptions {
  /** Login and registration attempts per client IP a minute; 0: no limit. */
  loginsPerIpPerMinute?: number;
  /** Failed logins per email per 15 minutes; 0: no limit. */
  failedLoginsPerAccount?: number;
}

export function authRoutes(db: Db, tokens: Tokens, options: AuthRouteOptions = {}): Router {
  const router = Router();
  const perIp = options.loginsPerIpPerMinute
    ? [limiter({
      windowMs: 60_000,
      limit: options.loginsPerIpPerMinute,
      key: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
      message: `Too many login or registration attempts from this client: at most ${options.loginsPerIpPerMinute} a minute`,
    })]
    : [];
  const perAccount = options.failedLoginsPerAccount
    ? [limiter({
      windowMs: 15 * 60_000,
      limit: options.failedLoginsPerAccount,
      key: (req) => `account:${String((req.body as LoginRequest).email).toLowerCase()}`,
      failuresOnly: true,
      message: `Too many failed logins for this account: at most ${options.failedLoginsPerAccount} in 15 minutes`,
    })]
    : [];

  const tokenPair = async (session: { userId: number; role: 'customer' | 'admin'; refreshToken: string }): Promise<TokenPair> => ({
    accessToken: await tokens.sign(session),
    refreshToken: session.refreshToken,
    tokenType: 'Bearer',
    expiresIn: tokens.accessTtlSeconds,
  });

  router.post('/api/auth/register', ...perIp, async (req, res) => {
    const body = req.body as RegisterRequest;
    const userId = await registerAccount(db, body).catch(rethrowFromDatabase);
    res.status(201).json({ userId, email: body.email });
  });

  router.post('/api/auth/login', ...perIp, ...perAccount, async (req, res) => {
    const { email, password } = req.body as LoginRequest;
    const session = await login(db, email, password).catch(rethrowFromDatabase);
    res.set('Cache-Control', 'no-store').json(await tokenPair(session));
  });

  router.post('/api/auth/refresh', async (req, res) => {
    const refreshed = await refreshSession(db, (req.body as RefreshRequest).refreshToken).catch(rethrowFromDatabase);
    if ('refused' in refreshed) {
      const { code, message } = refreshed.refused;
      throw apiErrorFromSqlState(code, message, undefined) ?? new Error(`refusal ${code} has no HTTP mapping`);
    }
    res.set('Cache-Control', 'no-store').json(await tokenPair(refreshed));
  });

  router.post('/api/auth/logout', async (req, res) => {
    await logout(db, (req.body as RefreshRequest).refreshToken).catch(rethrowFromDatabase);
    res.status(204).end();
  });

  return router;
}
