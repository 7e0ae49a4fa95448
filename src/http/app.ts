/**
 * The Express app: CORS, docs, the seat-map page, JSON body parsing, contract enforcement, routes, one
 * error handler.
 *
 * Everything except the docs (/docs, /openapi.json, /asyncapi.json) and the page's files goes through express-openapi-validator, so an unknown
 * path is a JSON 404, a known path with another method a 405 with `Allow`, and every parameter, header
 * and body is checked against the OpenAPI document before a route sees it.
 */
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import helmet from 'helmet';
import path from 'node:path';
import swaggerUi from 'swagger-ui-express';
import { timingSafeEqual, createHash } from 'node:crypto';
import { BookingQueue } from '../db/bookingQueue.ts';
import type { Tokens } from '../auth/tokens.ts';
import { PROJECT_ROOT } from '../config.ts';
import type { Db } from '../db/client.ts';
import { log, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { authenticate, unauthorized } from './access.ts';
import { authRoutes, type AuthRouteOptions } from './auth.ts';
import { bookingRoutes } from './booking.ts';
import { compileTrust, type TrustProxy } from '../auth/clientIp.ts';
import { errorHandler, methodNotAllowed, notFound } from './errors.ts';
import { flightRoutes } from './flights.ts';
import { healthRoutes } from './health.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.ts';
import { integerParameters } from './integerParams.ts';
import { itineraryRoutes } from './itineraries.ts';
import { DEFAULT_HOLD_TTL_SECONDS, holdRoutes } from './holds.ts';
import { bookingAttempts, holdAttempts, requestLogging } from './observability.ts';
import { buildAsyncApiDocument } from '../realtime/asyncapi.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { limiter } from './rateLimits.ts';

export const BODY_LIMIT = '16kb';
/** The seat-map page at `/`: plain HTML, CSS and JavaScript, served as they are (no build step). */
export const WEB_DIR = path.join(PROJECT_ROOT, 'src', 'web');

export interface AppOptions {
  /**
   * Origins whose web pages may call the API from a browser (CORS_ORIGINS). Default none: no CORS
   * headers are sent, so only same-origin pages can read responses.
   */
  corsOrigins?: string[];
  /**
   * Readiness of the seat-change listener, for /readyz. The process that runs the NOTIFY listener passes
   * its state; without one, the listener counts as connected and /readyz checks the database only.
   */
  isListenerConnected?: () => boolean;
  /** Request and booking logs. Default: the process logger. */
  logger?: Logger;
  /** Booking metrics, and GET /metrics. Without it there is no /metrics route. */
  metrics?: Metrics;
  /** Booking requests per client per minute (RATE_LIMIT_BOOKINGS_PER_MINUTE); 0 or unset: no limit. */
  bookingsPerMinute?: number;
  /** The booking queue (BOOKING_BATCH_MAX, BOOKING_CONNECTIONS). Default: one with the default sizes. */
  bookingQueue?: BookingQueue;
  /**
   * Identity. `tokens` set: AUTH_MODE=jwt (operations on bookings need a token, /api/auth/* exists).
   * Unset: AUTH_MODE=none, the open contract. Required, so that no caller gets the open contract by accident.
   */
  auth: { tokens: Tokens | undefined } & AuthRouteOptions;
  /**
   * GET /metrics on this app: 'open', { token } (Bearer METRICS_TOKEN), or 'off' (served elsewhere, on
   * METRICS_PORT, or not at all). Default 'open'. Needs `metrics`.
   */
  metricsAccess?: 'open' | 'off' | { token: string };
  /** How long a hold keeps its seats (HOLD_TTL_SECONDS). Default 300. */
  holdTtlSeconds?: number;
  /** GET /api/... requests per client per minute (RATE_LIMIT_READS_PER_MINUTE); 0 or unset: no limit. */
  readsPerMinute?: number;
  /** Cancellations per client per minute (RATE_LIMIT_CANCELLATIONS_PER_MINUTE); 0 or unset: no limit. */
  cancellationsPerMinute?: number;
  /** Which proxies to trust for the client IP (TRUST_PROXY). Default 0: none. */
  trustProxy?: TrustProxy;
  /**
   * Where reads (lists, seat maps, bookings) run: a pool of their own with a short statement timeout, so
   * expensive reads can neither hold a booking's connection nor run for long. Default: `db`.
   */
  readDb?: Db;
}

const isDocumentation = (path: string) => path === '/openapi.json' || path === '/asyncapi.json' || path === '/docs'
  || path.startsWith('/docs/');
const isOutsideContract = (path: string) => isDocumentation(path) || path === '/metrics';

/**
 * A middleware that only sets the same headers on every response (helmet with a fixed configuration), run
 * once at start-up against a recording response; each request then gets the recorded headers in one loop
 * instead of a dozen middlewares of its own.
 */
function constantHeaders(middleware: RequestHandler): RequestHandler {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => { headers.push([name, String(value)]); },
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({ headers: {} } as never, recorder as never, (err?: unknown) => {
    if (err) throw err;
    called = true;
  });
  if (!called) throw new Error('constantHeaders: the middleware did not finish synchronously');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Compares a presented secret with the expected one in constant time (both hashed to the same length). */
const sameSecret = (presented: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());

/**
 * The request checks, one per document per process. express-openapi-validator compiles a route's schemas
 * (ajv) on its first request and keeps them in the middleware, which is a large part of an app's start-up
 * cost: sharing it lets every app of a process (two instances in one process, the tests' servers) compile
 * them once. Its only per-app step, `app.param` hooks installed on the first app it serves, changes nothing
 * here: the app's own routes with parameters (limits, metrics) run before the validator, and the API's
 * routes live on routers, which app-level param hooks do not reach.
 */
const requestValidators = new Map<'jwt' | 'none', RequestHandler[]>();
function requestValidator(authMode: 'jwt' | 'none', openApiDocument: object): RequestHandler[] {
  let validator = requestValidators.get(authMode);
  if (!validator) {
    validator = OpenApiValidator.middleware({
      apiSpec: structuredClone(openApiDocument) as never,
      validateRequests: { allErrors: true },
      validateResponses: false,
      validateSecurity: false, // access.ts decides, with the token checked (the validator would only see a header)
      fileUploader: false,
      ignorePaths: isOutsideContract,
    }) as RequestHandler[];
    requestValidators.set(authMode, validator);
  }
  return validator;
}

export function createApp(db: Db, options: AppOptions): Express {
  const app = express();
  const { tokens } = options.auth;
  const openApiDocument = buildOpenApiDocument({ authMode: tokens ? 'jwt' : 'none' });
  const asyncApiDocument = buildAsyncApiDocument();
  app.disable('x-powered-by');
  // req.ip, and so every per-client limit, follows the same rules as the Socket.IO gateway (clientIp.ts).
  app.set('trust proxy', compileTrust(options.trustProxy ?? 0));
  app.use(requestLogging(options.logger ?? log));
  // Security headers. Swagger UI at /docs loads its own scripts and inline styles from this origin.
  // No `upgrade-insecure-requests`: opened as http://<ip>:3000/docs (no TLS in front), the browser would
  // fetch the page's scripts over https and show a blank page. Where TLS ends at a proxy, HSTS still applies.
  app.use(constantHeaders(helmet({
    contentSecurityPolicy: {
      directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
    },
  })));
  // Before the routes and the rate limiter, so preflight requests (OPTIONS) of allowed origins are answered
  // here and every answer, a 429 included, carries the CORS headers a browser needs to read it.
  if (options.corsOrigins?.length) {
    app.use(cors({
      origin: options.corsOrigins,
      allowedHeaders: ['Content-Type', 'Authorization', IDEMPOTENCY_KEY_HEADER, 'X-Socket-Id'],
      exposedHeaders: ['Location', 'Retry-After', 'WWW-Authenticate', IDEMPOTENT_REPLAYED_HEADER],
      maxAge: 600,
    }));
  }

  const metricsAccess = options.metricsAccess ?? 'open';
  if (options.metrics && metricsAccess !== 'off') {
    const { registry } = options.metrics;
    app.get('/metrics', async (req, res) => {
      if (typeof metricsAccess === 'object') {
        const presented = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
        if (!presented || !sameSecret(presented, metricsAccess.token)) throw unauthorized('/metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
      res.type(registry.contentType).send(await registry.metrics());
    });
    app.all('/metrics', methodNotAllowed('GET'));
  }
  if (options.metrics) {
    app.post('/api/flight/booking', bookingAttempts(options.metrics, options.logger ?? log));
    app.post('/api/flight/holds', holdAttempts(options.metrics, 'hold'));
    app.post('/api/flight/holds/:holdId/confirm', holdAttempts(options.metrics, 'confirm'));
    app.delete('/api/flight/holds/:holdId', holdAttempts(options.metrics, 'release'));
  }
  // Who is asking, before the rate limits (which key on the user when there is one) and every route.
  app.use(authenticate(tokens));
  if (options.bookingsPerMinute) {
    // One budget for the requests that take seats: bookings and holds.
    app.post(['/api/flight/booking', '/api/flight/holds'], limiter({
      windowMs: 60_000,
      limit: options.bookingsPerMinute,
      message: `Too many booking requests from this client: at most ${options.bookingsPerMinute} a minute`,
    }));
  }
  if (options.cancellationsPerMinute) {
    app.delete('/api/flight/booking/:bookingId', limiter({
      windowMs: 60_000,
      limit: options.cancellationsPerMinute,
      message: `Too many cancellations from this client: at most ${options.cancellationsPerMinute} a minute`,
    }));
  }

  // HEAD is GET without a body (RFC 9110): route and validate it as that GET. Node decided when the request
  // arrived that a HEAD response carries no body, so the GET handler's body is never sent.
  app.use((req, _res, next) => {
    if (req.method === 'HEAD') req.method = 'GET';
    next();
  });
  if (options.readsPerMinute) {
    const readLimit = limiter({
      windowMs: 60_000,
      limit: options.readsPerMinute,
      message: `Too many read requests from this client: at most ${options.readsPerMinute} a minute`,
    });
    app.use('/api', (req, res, next) => (req.method === 'GET' ? readLimit(req, res, next) : next()));
  }

  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.all('/openapi.json', methodNotAllowed('GET'));
  app.get('/asyncapi.json', (_req, res) => { res.json(asyncApiDocument); });
  app.all('/asyncapi.json', methodNotAllowed('GET'));
  // persistAuthorization: a token given to Authorize survives a reload of /docs.
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument, { swaggerOptions: { persistAuthorization: true } }));
  // The page's files (index.html at /); anything else falls through to the API and its JSON 404.
  app.use(express.static(WEB_DIR, { index: 'index.html', redirect: false, fallthrough: true }));

  // Only the operations that take a body (POST, PATCH) read one: a body sent with a GET or DELETE is ignored.
  const parseJson = express.json({ limit: BODY_LIMIT });
  app.use((req, res, next) => (req.method === 'POST' || req.method === 'PATCH' ? parseJson(req, res, next) : next()));
  app.use(integerParameters(openApiDocument));
  app.use(requestValidator(tokens ? 'jwt' : 'none', openApiDocument));
  app.use(healthRoutes(db, options.isListenerConnected ?? (() => true)));
  if (tokens) app.use(authRoutes(db, tokens, options.auth));
  app.use(bookingRoutes(db, options.bookingQueue ?? new BookingQueue(db)));
  app.use(holdRoutes(db, options.holdTtlSeconds ?? DEFAULT_HOLD_TTL_SECONDS));
  app.use(flightRoutes(options.readDb ?? db));
  app.use(itineraryRoutes(options.readDb ?? db));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
