/**
 * Probes for orchestrators. /healthz: the process is alive and serving (no dependency is checked, so a
 * database outage never gets the process restarted). /readyz: this instance can do its job: the database
 * answers and the seat-change listener is connected; 503 otherwise, so a load balancer sends traffic
 * elsewhere until it recovers.
 */
import { Router } from 'express';
import type { Db } from '../db/client.ts';
import { databaseAnswers } from '../db/ping.ts';
import { ApiError, RETRY_AFTER_SECONDS } from './errors.ts';
import type { Readiness } from './schemas.ts';

/** A probe must answer quickly; a database slower than this counts as down. */
export const READINESS_TIMEOUT_MS = 2_000;

export function healthRoutes(db: Db, isListenerConnected: () => boolean): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });

  router.get('/readyz', async (_req, res) => {
    const database = await databaseAnswers(db, READINESS_TIMEOUT_MS);
    const listener = isListenerConnected();
    if (!database || !listener) {
      const down = [!database && 'the database does not answer', !listener && 'the seat-change listener is not connected'];
      throw new ApiError(503, {
        error: 'service_unavailable',
        message: `Not ready: ${down.filter(Boolean).join(' and ')}`,
        checks: { database: database ? 'up' : 'down', listener: listener ? 'connected' : 'disconnected' },
      }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    const body: Readiness = { status: 'ready', checks: { database: 'up', listener: 'connected' } };
    res.json(body);
  });

  return router;
}
