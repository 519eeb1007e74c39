import { pino, type DestinationStream, type Logger as Pino, type LevelWithSilent } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { LineBatch } from './line-batch.js';
import { resolveLogFormat, type LogFormat, type LogFormatSetting } from './log-format.js';
import { maskDeep } from './mask-log.js';
import { loadPinoPretty, prettyDestination } from './pretty-lines.js';

const LEVELS: Record<AppConfig['logLevel'], LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Most bytes of lines waiting for a stalled stdout before new lines are dropped (not memory grown). */
const STDOUT_MAX_WAITING = 16 * 1024 * 1024;

/** The process's one stdout destination, shared by every logger made (lines stay in order). */
let stdout: LineBatch | undefined;

/**
 * Standard output without blocking the event loop. Node writes to a terminal synchronously: every
 * request's log line was a write(2) on the request's path, which waits whenever the terminal is
 * slower (scrolling, a selection held, a slow SSH link), and the whole process stalled with it
 * (to a pipe Node queues writes in memory without bound instead). Here a write goes out off the
 * event loop and lines logged meanwhile join the next one, bounded; and lines are handed over in
 * batches (LineBatch: one write for up to 20 ms of lines, not one per request). What is left is
 * written synchronously at exit (process.exit, signals), so a last line before exiting is not lost.
 */
function stdoutDestination(): DestinationStream {
  if (stdout === undefined) {
    // Registered before pino's own exit hooks for the stream (made below), so they run first:
    // when the event loop empties, what waits is handed over before pino ends the stream; at
    // exit it is written, synchronously, before pino's last flush.
    process.on('beforeExit', () => stdout?.flush());
    process.on('exit', () => {
      try {
        stdout?.flushSync();
      } catch {
        // stdout is gone (a closed pipe): nothing left to write to.
      }
    });
    stdout = new LineBatch(
      pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: STDOUT_MAX_WAITING }),
    );
  }
  return stdout;
}

export interface PinoOptions {
  /** Where lines go (default stdout, written off the event loop). */
  destination?: DestinationStream;
  /** LOG_FORMAT (default `auto`). */
  format?: LogFormatSetting;
  /**
   * Whether the destination is a terminal, for `auto` and colours; default: no destination is
   * given (stdout) and stdout is a TTY.
   */
  terminal?: boolean;
  /** How pino-pretty is found (tests pretend it is not installed). */
  loadPretty?: typeof loadPinoPretty;
}

/**
 * The service's one pino instance. Every argument of every line is masked by maskDeep (by field
 * name and by phone shape) before pino serialises it, so both formats carry the same masked
 * record: JSON lines, or (LOG_FORMAT=pretty, or `auto` on a terminal) one readable, coloured line
 * per event through pino-pretty. Pretty asked for but pino-pretty not installed (a production
 * install prunes dev dependencies): JSON lines, and one warning saying so.
 */
export function createPino(level: AppConfig['logLevel'], options: PinoOptions = {}): Pino {
  const out = options.destination ?? stdoutDestination();
  const terminal =
    options.terminal ?? (options.destination === undefined && process.stdout.isTTY === true);
  const wanted: LogFormat = resolveLogFormat(options.format ?? 'auto', terminal);
  const pretty = wanted === 'pretty' ? (options.loadPretty ?? loadPinoPretty)() : undefined;
  const logger = pino(
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
    pretty ? prettyDestination(pretty, out, terminal && pretty.isColorSupported) : out,
  );
  if (wanted === 'pretty' && !pretty) {
    logger.warn(
      { context: 'Logging' },
      'Pretty logs were asked for (LOG_FORMAT or a terminal) but pino-pretty is not installed ' +
        '(a production install omits dev dependencies): writing JSON lines',
    );
  }
  return logger;
}
