import type { LoggerService } from '@nestjs/common';
import type { Logger as Pino } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const STACK = /\n\s+at /;

/**
 * Nest's own start-up chatter (a line per module initialised and per route mapped, some fifty):
 * written at debug, so a start shows what the service says about itself (LOG_LEVEL=debug shows them).
 */
const NEST_BOOT = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Nest's LoggerService over pino: Nest's own lines and every `new Logger(Context)` of the service
 * come out as the same JSON lines (with `context`) as the request log, from the first line on.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params.at(-1);
    this.write(
      typeof context === 'string' && NEST_BOOT.has(context) ? 'debug' : 'info',
      message,
      params,
    );
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes `(message, ...extra, context)`; error() passes `(message, stack?, context?)`. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const context =
      typeof rest.at(-1) === 'string' && !STACK.test(rest.at(-1) as string)
        ? (rest.pop() as string)
        : undefined;
    const stack = rest.find((p): p is string => typeof p === 'string' && STACK.test(p));
    const extra = rest.filter((p) => p !== stack && p !== undefined);
    const fields: Record<string, unknown> = {
      ...(context ? { context } : {}),
      ...(stack ? { stack } : {}),
      ...(extra.length ? { extra } : {}),
    };
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) });
    else this.pino[level](fields, String(message));
  }
}
