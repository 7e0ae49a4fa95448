/** The Express app: docs, JSON body parsing, contract enforcement, routes, one error handler. */
import express, { type Express } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import swaggerUi from 'swagger-ui-express';
import type { Db } from '../db/client.ts';
import { bookingRoutes } from './booking.ts';
import { errorHandler, notFound } from './errors.ts';
import { flightRoutes } from './flights.ts';
import { itineraryRoutes } from './itineraries.ts';
import { buildOpenApiDocument } from './openapi.ts';

export const BODY_LIMIT = '16kb';

export function createApp(db: Db): Express {
  const app = express();
  const openApiDocument = buildOpenApiDocument();
  app.disable('x-powered-by');

  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument));

  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(OpenApiValidator.middleware({
    apiSpec: structuredClone(openApiDocument) as never,
    validateRequests: { allErrors: true },
    validateResponses: false,
    fileUploader: false,
    ignorePaths: (path: string) => !path.startsWith('/api/'),
  }));
  app.use(bookingRoutes(db));
  app.use(flightRoutes(db));
  app.use(itineraryRoutes(db));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
