/**
 * The Express app: CORS, docs, JSON body parsing, contract enforcement, routes, one error handler.
 *
 * Everything except the docs (/docs, /openapi.json) goes through express-openapi-validator, so an unknown
 * path is a JSON 404, a known path with another method a 405 with `Allow`, and every parameter, header
 * and body is checked against the OpenAPI document before a route sees it.
 */
import cors from 'cors';
import express, { type Express, type RequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client.ts';
import { log, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { bookingRoutes } from './booking.ts';
import { compileTrust, rateLimitKey, type TrustProxy } from './clientIp.ts';
import { ApiError, errorHandler, methodNotAllowed, notFound } from './errors.ts';
import { flightRoutes } from './flights.ts';
import { healthRoutes } from './health.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.ts';
import { integerParameters } from './integerParams.ts';
import { itineraryRoutes } from './itineraries.ts';
import { bookingAttempts, requestLogging } from './observability.ts';
import { buildOpenApiDocument } from './openapi.ts';

export const BODY_LIMIT = '16kb';

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

/**
 * A fixed one-minute window per client (user when identified, else IP; see clientIp.ts) and per instance.
 * Past it: 429 rate_limited with Retry-After. Only the requests it is mounted on pay for it.
 */
function perMinuteLimit(limit: number, what: string): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    keyGenerator: rateLimitKey,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, _res, next) => {
      const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
      next(new ApiError(429, {
        error: 'rate_limited',
        message: `Too many ${what} from this client: at most ${limit} a minute`,
      }, { 'Retry-After': String(seconds) }));
    },
  });
}

const isDocumentation = (path: string) => path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/');
const isOutsideContract = (path: string) => isDocumentation(path) || path === '/metrics';

export function createApp(db: Db, options: AppOptions = {}): Express {
  const app = express();
  const openApiDocument = buildOpenApiDocument();
  app.disable('x-powered-by');
  // req.ip, and so every per-client limit, follows the same rules as the Socket.IO gateway (clientIp.ts).
  app.set('trust proxy', compileTrust(options.trustProxy ?? 0));
  app.use(requestLogging(options.logger ?? log));
  // Security headers. Swagger UI at /docs loads its own scripts and inline styles from this origin.
  app.use(helmet({
    contentSecurityPolicy: { directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
  }));
  // Before the routes and the rate limiter, so preflight requests (OPTIONS) of allowed origins are answered
  // here and every answer, a 429 included, carries the CORS headers a browser needs to read it.
  if (options.corsOrigins?.length) {
    app.use(cors({
      origin: options.corsOrigins,
      allowedHeaders: ['Content-Type', IDEMPOTENCY_KEY_HEADER, 'X-Socket-Id'],
      exposedHeaders: ['Location', 'Retry-After', IDEMPOTENT_REPLAYED_HEADER],
      maxAge: 600,
    }));
  }

  if (options.metrics) {
    const { registry } = options.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
    app.all('/metrics', methodNotAllowed('GET'));
    app.post('/api/flight/booking', bookingAttempts(options.metrics));
  }
  if (options.bookingsPerMinute) app.post('/api/flight/booking', perMinuteLimit(options.bookingsPerMinute, 'booking requests'));
  if (options.cancellationsPerMinute) {
    app.delete('/api/flight/booking/:bookingId', perMinuteLimit(options.cancellationsPerMinute, 'cancellations'));
  }

  // HEAD is GET without a body (RFC 9110): route and validate it as that GET. Node decided when the request
  // arrived that a HEAD response carries no body, so the GET handler's body is never sent.
  app.use((req, _res, next) => {
    if (req.method === 'HEAD') req.method = 'GET';
    next();
  });
  if (options.readsPerMinute) {
    const readLimit = perMinuteLimit(options.readsPerMinute, 'read requests');
    app.use('/api', (req, res, next) => (req.method === 'GET' ? readLimit(req, res, next) : next()));
  }

  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.all('/openapi.json', methodNotAllowed('GET'));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument));

  // Only the operations that take a body (POST) read one: a body sent with a GET or DELETE is ignored.
  const parseJson = express.json({ limit: BODY_LIMIT });
  app.use((req, res, next) => (req.method === 'POST' ? parseJson(req, res, next) : next()));
  app.use(integerParameters(openApiDocument));
  app.use(OpenApiValidator.middleware({
    apiSpec: structuredClone(openApiDocument) as never,
    validateRequests: { allErrors: true },
    validateResponses: false,
    fileUploader: false,
    ignorePaths: isOutsideContract,
  }));
  app.use(healthRoutes(db, options.isListenerConnected ?? (() => true)));
  app.use(bookingRoutes(db));
  app.use(flightRoutes(options.readDb ?? db));
  app.use(itineraryRoutes(options.readDb ?? db));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
