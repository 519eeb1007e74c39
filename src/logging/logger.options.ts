import type { IncomingMessage } from 'node:http';
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
 * Structured JSON logs through pino: every application log line and one line per request
 * (written by bootstrap's onResponse hook), all masked by maskDeep. `destination` lets tests
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
        // Request lines are written by bootstrap's onResponse hook (with the route template).
        autoLogging: false,
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
