/**
 * Structured JSON logs (pino), one object per line. `npm run dev` sets LOG_PRETTY=1 for readable
 * output. Logs carry ids (request, booking, user, socket), never names, bodies or connection strings.
 */
import pino, { type Logger } from 'pino';
import { LOG_LEVELS } from './config.ts';

export type { Logger };

export function createLogger(options: { level?: string; pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'blackjet' },
    // A database URL or header value must never reach the logs, even in an error object.
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.connectionString'], censor: '[redacted]' },
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * The process-wide logger; servers and tests may pass their own. Silent under test unless LOG_LEVEL says
 * otherwise: tests that check log lines give the server their own logger, and the test report stays
 * readable (LOG_LEVEL=warn npm test shows the rest). An unknown LOG_LEVEL is not this module's to report
 * (pino would throw on import, with a stack trace): loadConfig() names it in one line before anything starts.
 */
const wanted = process.env.LOG_LEVEL;
export const log = createLogger({
  level: wanted && LOG_LEVELS.includes(wanted) ? wanted : (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  pretty: process.env.LOG_PRETTY === '1',
});
