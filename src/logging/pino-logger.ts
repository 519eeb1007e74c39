import { pino, type DestinationStream, type Logger as Pino, type LevelWithSilent } from 'pino';
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
 * The service's one pino instance: JSON lines from the first one on, every argument of every line
 * masked by maskDeep (by field name and by phone shape) before it is written.
 */
export function createPino(
  level: AppConfig['logLevel'],
  destination: DestinationStream = process.stdout,
): Pino {
  return pino(
    {
      level: LEVELS[level],
      base: { service: 'axb-router', pid: process.pid },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(
            this,
            args.map((a) => maskDeep(a)),
          );
        },
      },
    },
    destination,
  );
}
