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
import { BookingQueue } from '../db/bookingQueue.ts';
import type { Db } from '../db/client.ts';
import { log, type Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { bookingRoutes } from './booking.ts';
import { ApiError, errorHandler, methodNotAllowed, notFound } from './errors.ts';
import { flightRoutes } from './flights.ts';
import { healthRoutes } from './health.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.ts';
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
  /** Booking requests per client IP per minute (RATE_LIMIT_BOOKINGS_PER_MINUTE); 0 or unset: no limit. */
  bookingsPerMinute?: number;
  /** Express `trust proxy` (TRUST_PROXY): needed behind a load balancer for the client IP. Default off. */
  trustProxy?: boolean | number | string;
  /** The booking queue (BOOKING_BATCH_MAX, BOOKING_CONNECTIONS). Default: one with the default sizes. */
  bookingQueue?: BookingQueue;
}

const isDocumentation = (path: string) => path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/');
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

export function createApp(db: Db, options: AppOptions = {}): Express {
  const app = express();
  const openApiDocument = buildOpenApiDocument();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
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
    app.post('/api/flight/booking', bookingAttempts(options.metrics, options.logger ?? log));
  }
  if (options.bookingsPerMinute) {
    app.post('/api/flight/booking', rateLimit({
      windowMs: 60_000,
      limit: options.bookingsPerMinute,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      handler: (req, _res, next) => {
        const resetTime = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
        next(new ApiError(429, {
          error: 'rate_limited',
          message: `Too many booking requests from this client: at most ${options.bookingsPerMinute} a minute`,
        }, { 'Retry-After': String(seconds) }));
      },
    }));
  }

  // HEAD is GET without a body (RFC 9110): route and validate it as that GET. Node decided when the request
  // arrived that a HEAD response carries no body, so the GET handler's body is never sent.
  app.use((req, _res, next) => {
    if (req.method === 'HEAD') req.method = 'GET';
    next();
  });

  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.all('/openapi.json', methodNotAllowed('GET'));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument));

  // Only the operations that take a body (POST, PATCH) read one: a body sent with a GET or DELETE is ignored.
  const parseJson = express.json({ limit: BODY_LIMIT });
  app.use((req, res, next) => (req.method === 'POST' || req.method === 'PATCH' ? parseJson(req, res, next) : next()));
  app.use(OpenApiValidator.middleware({
    apiSpec: structuredClone(openApiDocument) as never,
    validateRequests: { allErrors: true },
    validateResponses: false,
    fileUploader: false,
    ignorePaths: isOutsideContract,
  }));
  app.use(healthRoutes(db, options.isListenerConnected ?? (() => true)));
  app.use(bookingRoutes(db, options.bookingQueue ?? new BookingQueue(db)));
  app.use(flightRoutes(db));
  app.use(itineraryRoutes(db));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
