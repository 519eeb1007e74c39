import { performance } from 'node:perf_hooks';

/** Where progress is written: stderr by default, so a command's own output (stdout) stays clean. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** How many units make the whole job, when known (then a bar, a percentage and a time left). */
  total?: number;
  /** What is counted: `migrations`, `requests`, `rows`… */
  unit?: string;
  stream?: ProgressStream;
  /** Whether `stream` is a terminal; default its `isTTY`. */
  terminal?: boolean;
  /** Off a terminal: one plain line at most this often, ms (default 10 s). */
  everyMs?: number;
  /**
   * The live line is redrawn (terminal), or a due plain line written, this often even when
   * nothing advances, so a long single step (one big migration) still shows its time; 0: only
   * on calls. Default 1 s. The timer never keeps the process alive.
   */
  heartbeatMs?: number;
  /** Milliseconds of a monotonic clock (tests move their own). */
  now?: () => number;
}

/** `350 ms`, `4.2 s`, `2 min 05 s`: durations a person reads at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

const BAR = 20;
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Progress of a long job a person runs by hand (migrations, benchmarks, seeding): on a terminal
 * one live line, redrawn in place (`label ████░░░░ 3/12 migrations 25% · 1.2/s · 4.0 s · ~12 s
 * left · what now`); elsewhere (CI, a pipe, a file) the same words as a plain line at most every
 * `everyMs`, never control characters. The caller prints its own end summary after finish().
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly terminal: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private done = 0;
  private what = '';
  private lastWrite: number;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.terminal = options.terminal ?? this.stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.lastWrite = this.started;
    const heartbeat = options.heartbeatMs ?? 1000;
    if (heartbeat > 0) {
      this.timer = setInterval(() => this.show(), heartbeat);
      this.timer.unref();
    }
    if (this.terminal) this.draw();
  }

  /** `n` more units done; `note` says what is being done now. */
  advance(n = 1, note?: string): void {
    this.update(this.done + n, note);
  }

  /** The count done so far (absolute); `note` says what is being done now. */
  update(done: number, note?: string): void {
    this.done = done;
    if (note !== undefined) this.what = note;
    this.show();
  }

  /** What is being done now (a migration's name, a phase), without counting anything. */
  note(text: string): void {
    this.what = text;
    this.show();
  }

  /** A line of the command's own output (stdout by default), written above the live line. */
  say(text: string, out: ProgressStream = process.stdout): void {
    const live = this.terminal && !this.finished;
    if (live && this.drawn) this.stream.write(CLEAR_LINE);
    out.write(`${text}\n`);
    if (live) this.draw();
  }

  /** Milliseconds since the start. */
  get elapsedMs(): number {
    return this.now() - this.started;
  }

  /** Ends: the live line is cleared (the caller's summary takes its place). Returns the elapsed ms. */
  finish(): number {
    if (!this.finished) {
      this.finished = true;
      if (this.timer) clearInterval(this.timer);
      if (this.terminal && this.drawn) this.stream.write(CLEAR_LINE);
    }
    return this.elapsedMs;
  }

  /** The words of the current state, as one line. */
  line(): string {
    const elapsed = this.elapsedMs;
    const { total, unit } = this.options;
    const parts: string[] = [];
    const counted = `${this.done}${total !== undefined ? `/${total}` : ''}${unit ? ` ${unit}` : ''}`;
    if (total !== undefined && total > 0) {
      const share = Math.min(1, this.done / total);
      const filled = Math.round(share * BAR);
      const bar = this.terminal ? `${'█'.repeat(filled)}${'░'.repeat(BAR - filled)} ` : '';
      parts.push(`${bar}${counted} ${Math.floor(share * 100)}%`);
    } else {
      parts.push(counted);
    }
    const seconds = elapsed / 1000;
    if (this.done > 0 && seconds >= 1) parts.push(`${rate(this.done / seconds)}/s`);
    parts.push(formatDuration(elapsed));
    if (total !== undefined && this.done > 0 && this.done < total) {
      parts.push(`~${formatDuration((elapsed / this.done) * (total - this.done))} left`);
    }
    if (this.what) parts.push(this.what);
    return `${this.label}: ${parts.join(' · ')}`;
  }

  private show(): void {
    if (this.finished) return;
    const now = this.now();
    // A terminal is redrawn at most ten times a second; elsewhere a line every `everyMs`.
    const gap = this.terminal ? 100 : (this.options.everyMs ?? 10_000);
    if (now - this.lastWrite < gap) return;
    this.lastWrite = now;
    if (this.terminal) this.draw();
    else this.stream.write(`${this.line()}\n`);
  }

  private draw(): void {
    const width = Math.max(20, (this.stream.columns || 100) - 1);
    const text = this.line();
    this.stream.write(CLEAR_LINE + (text.length > width ? `${text.slice(0, width - 1)}…` : text));
    this.drawn = true;
  }
}

function rate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
