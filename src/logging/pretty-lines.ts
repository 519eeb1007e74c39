import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';

/** The part of pino-pretty used here (a dev dependency: absent from a production install). */
interface PinoPretty {
  prettyFactory(options: Record<string, unknown>): (line: string) => string;
  /** colorette's verdict on stdout (a TTY, and no NO_COLOR / TERM=dumb). */
  isColorSupported: boolean;
}
type Colors = Record<'gray' | 'bold', (text: string) => string>;
type LogRecord = Record<string, unknown>;

/** Loads pino-pretty, or undefined when it is not installed (`npm ci --omit=dev`). */
export function loadPinoPretty(): PinoPretty | undefined {
  try {
    return createRequire(import.meta.url)('pino-pretty') as PinoPretty;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Fields every line carries, or that the message already says: not repeated on a pretty line. */
const UNSHOWN = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'service',
  'context',
  'stack',
  'err',
]);
/** An access-log line's fields, shown as `POST /v1/bindings → 201 12 ms`. */
const REQUEST = ['method', 'url', 'route', 'status', 'ms'] as const;

function show(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * One event, one line: `[Context] message` (Nest's lines), `POST /v1/bindings → 201 12 ms`
 * (the access log), then the other fields as `key=value` in grey; only an error's stack trace
 * follows on lines of its own. Records arrive already masked
 * (createPino masks every argument before pino serialises it), so this only arranges them.
 */
export function prettyMessage(log: LogRecord, colors: Colors): string {
  const parts: string[] = [];
  if (typeof log.context === 'string') parts.push(colors.gray(`[${log.context}]`));
  const shown = new Set(UNSHOWN);
  if (typeof log.method === 'string' && typeof log.status === 'number') {
    parts.push(colors.bold(`${log.method} ${String(log.url ?? log.route)} → ${log.status}`));
    if (typeof log.ms === 'number') parts.push(`${log.ms} ms`);
    for (const key of REQUEST) shown.add(key);
  }
  const message = log.msg;
  if (message !== undefined && message !== '') parts.push(String(message));
  // The problems of a configuration error are in its message already, one per line.
  if (Array.isArray(log.problems) && typeof message === 'string') shown.add('problems');
  const rest = Object.entries(log)
    .filter(([key, value]) => !shown.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${show(value)}`);
  if (rest.length) parts.push(colors.gray(rest.join(' ')));
  // A stack trace (Nest's beside the message, or a logged error's) goes under the line.
  const err = log.err as { stack?: unknown } | undefined;
  const trace = typeof log.stack === 'string' ? log.stack : err?.stack;
  return parts.join(' ') + (typeof trace === 'string' ? `\n${colors.gray(trace)}` : '');
}

/**
 * A pino destination writing pino-pretty's lines to `out`: level and time coloured by
 * pino-pretty, the rest arranged by prettyMessage. Synchronous (pino-pretty's factory, not its
 * transport stream), so a line logged right before process.exit is still written.
 */
export function prettyDestination(
  pretty: PinoPretty,
  out: DestinationStream,
  colorize: boolean,
): DestinationStream {
  const format = pretty.prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    hideObject: true,
    singleLine: true,
    messageFormat: (log: LogRecord, _key: string, _label: string, extra: { colors: Colors }) =>
      prettyMessage(log, extra.colors),
  });
  return {
    write: (line: string) => {
      const text = format(line);
      // pino-pretty leaves the end of line off when it hides the object.
      out.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}
