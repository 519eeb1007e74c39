import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';

/** How long one cause's occurrences are counted into one line. */
export const LOG_THROTTLE_INTERVAL_MS = 10_000;

interface Window {
  /** When this window's counting began (ms on the service's clock). */
  since: number;
  /** Occurrences in this window, the one written at once included. */
  total: number;
  /** Occurrences not written yet (to be summed up when the window ends). */
  unwritten: number;
  lastLine: string;
  lastRequestId?: string;
}

/**
 * The one owner of "say it once per cause and interval": refusals the service was designed to
 * give (the database unavailable, a provider failure or outcome unknown, rate limited, no numbers…)
 * are worth a warn line, not one per request — a 45 s freeze wrote 1,106 of them, which hid the
 * one line that mattered. The first occurrence of a cause after a quiet interval is written at
 * once; the rest within LOG_THROTTLE_INTERVAL_MS are counted, and one line sums them up when the
 * interval ends (`DATABASE_UNAVAILABLE ×412 in the last 10 s, last request id …`). A cause that
 * keeps occurring gets one line per interval; one that stops is summed up and forgotten. Time is
 * the service's Clock (tests move it); the summaries are written by a timer, by the next
 * occurrence of any cause, and at shutdown. Errors nobody planned are not for this: they are
 * written each, at error level, by whoever meets them. Metrics count every occurrence elsewhere.
 */
@Injectable()
export class LogThrottle implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Refusals');
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly clock: Clock) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.flushDue(), LOG_THROTTLE_INTERVAL_MS / 4);
    this.timer.unref();
  }

  /** Shutdown: what was counted is written, not lost. */
  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.flushAll();
  }

  /**
   * One occurrence of `cause` (a stable code such as DATABASE_UNAVAILABLE), described by `line`
   * (written as is when it is the first of its interval; the last one is quoted in the summary).
   */
  note(cause: string, line: string, requestId?: string): void {
    const now = this.now();
    this.flushDue(now);
    const open = this.windows.get(cause);
    if (open) {
      open.total += 1;
      open.unwritten += 1;
      open.lastLine = line;
      open.lastRequestId = requestId;
      return;
    }
    this.windows.set(cause, {
      since: now,
      total: 1,
      unwritten: 0,
      lastLine: line,
      lastRequestId: requestId,
    });
    this.logger.warn({ msg: line, refusal: cause, count: 1 });
  }

  /** Sums up every cause whose interval has ended; a cause quiet for a whole interval is forgotten. */
  flushDue(now = this.now()): void {
    for (const [cause, window] of this.windows) {
      if (now - window.since < LOG_THROTTLE_INTERVAL_MS) continue;
      if (window.unwritten === 0) {
        this.windows.delete(cause);
        continue;
      }
      this.summarise(cause, window, now);
      // Still occurring: the next interval counts on, with nothing written at once.
      this.windows.set(cause, { ...window, since: now, total: 0, unwritten: 0 });
    }
  }

  /** Sums up every cause with something unwritten, whatever its interval (shutdown). */
  flushAll(): void {
    const now = this.now();
    for (const [cause, window] of this.windows)
      if (window.unwritten > 0) this.summarise(cause, window, now);
    this.windows.clear();
  }

  private summarise(cause: string, window: Window, now: number): void {
    const seconds = Math.max(1, Math.round((now - window.since) / 1000));
    const last = window.lastRequestId ? `, last request id ${window.lastRequestId}` : '';
    this.logger.warn({
      msg: `${cause} ×${window.total} in the last ${seconds} s${last}: ${window.lastLine}`,
      refusal: cause,
      count: window.total,
    });
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
