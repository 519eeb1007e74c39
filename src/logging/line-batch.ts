import type { DestinationStream } from 'pino';

/** Where a batch goes: pino's asynchronous stdout (SonicBoom), or anything alike. */
export interface LineSink {
  write(text: string): unknown;
  /** Writes everything given so far before returning (at exit). */
  flushSync(): void;
}

/** How long a line waits for others to share its write, at most. */
export const BATCH_WAIT_MS = 20;
/** A batch this long (UTF-16 units, about bytes) is written at once. */
export const BATCH_MAX_CHARS = 64 * 1024;

/**
 * Log lines written together: one write for the lines of up to BATCH_WAIT_MS (or BATCH_MAX_CHARS),
 * instead of one per line. With a line per request, every line was a write(2) of its own handed
 * to libuv's thread pool and back, and on a terminal one wake-up of the terminal's reader each:
 * at a thousand requests a second, a thousand of each, on the cores the requests need. Lines keep
 * their order; at exit what waits is written synchronously (`flushSync`, on process 'exit', as
 * pino does for its own stream), so a last line before process.exit is not lost. A crash beyond
 * the process's control (SIGKILL) loses at most the last BATCH_WAIT_MS of lines.
 */
export class LineBatch implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: LineSink,
    private readonly waitMs = BATCH_WAIT_MS,
    private readonly maxChars = BATCH_MAX_CHARS,
  ) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.maxChars) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.waitMs);
      // Lines waiting never keep the process alive: exit writes them (flushSync).
      this.timer.unref();
    }
  }

  /** Hands what waits to the sink now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.out.write(text);
  }

  /** Writes what waits, and everything the sink holds, before returning. */
  flushSync(): void {
    this.flush();
    this.out.flushSync();
  }
}
