import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, LevelWithSilent } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { maskDeep } from './mask-log.js';

const LEVELS: Record<AppConfig['logLevel'], LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Structured JSON logs through pino: one line per request (method, route, status, duration,
 * request id) and every application log line, all masked by maskDeep. `destination` lets tests
 * capture the output.
 */
export function loggerOptions(config: AppConfig, destination?: DestinationStream): Params {
  return {
    pinoHttp: [
      {
        level: LEVELS[config.logLevel],
        // The id Fastify assigned (bootstrap.ts copies it onto the raw request).
        genReqId: (req: IncomingMessage) =>
          (req as IncomingMessage & { id?: string }).id ?? 'unknown',
        customProps: () => ({ service: 'axb-router' }),
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            url: req.url,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
          error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        // Liveness probes would drown everything else.
        autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' },
        formatters: {
          log: (record: Record<string, unknown>) => maskDeep(record) as Record<string, unknown>,
        },
        hooks: {
          logMethod(args: unknown[], method: (...a: unknown[]) => void) {
            method.apply(
              this,
              args.map((a) => maskDeep(a)),
            );
          },
        },
      },
      destination ?? process.stdout,
    ],
  };
}
