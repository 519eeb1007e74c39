import { describe, expect, it } from 'vitest';
import {
  Progress,
  formatDuration,
  type ProgressStream,
} from '../../src/common/progress/progress.js';

/** A stream that keeps what it was given, and a clock the test moves. */
function setup(terminal: boolean) {
  const writes: string[] = [];
  const out: string[] = [];
  const stream: ProgressStream = {
    write: (t: string) => writes.push(t),
    isTTY: terminal,
    columns: 120,
  };
  const stdout: ProgressStream = { write: (t: string) => out.push(t) };
  let ms = 0;
  const clock = { now: () => ms, advance: (by: number) => (ms += by) };
  return { writes, out, stream, stdout, clock };
}

describe('Progress', () => {
  it('on a terminal: one live line redrawn in place, output above it, cleared at the end', () => {
    const { writes, out, stream, stdout, clock } = setup(true);
    const p = new Progress('Migrating', {
      total: 4,
      unit: 'migrations',
      stream,
      now: clock.now,
      heartbeatMs: 0,
    });
    expect(writes).toEqual(['\r\x1b[2KMigrating: ░░░░░░░░░░░░░░░░░░░░ 0/4 migrations 0% · 0 ms']);

    clock.advance(2000);
    p.advance(1, 'applying b');
    expect(writes.at(-1)).toBe(
      '\r\x1b[2KMigrating: █████░░░░░░░░░░░░░░░ 1/4 migrations 25% · 0.5/s · 2.0 s · ~6.0 s left · applying b',
    );
    // Redraws are throttled (ten a second at most): a burst of updates draws once.
    const drawn = writes.length;
    clock.advance(10);
    p.advance();
    expect(writes).toHaveLength(drawn);

    p.say('[1/4] a: 2.0 s', stdout);
    expect(out).toEqual(['[1/4] a: 2.0 s\n']);
    expect(writes.slice(drawn)).toEqual([
      '\r\x1b[2K',
      expect.stringMatching(/^\r\x1b\[2KMigrating: .* 2\/4 migrations 50%/), // eslint-disable-line no-control-regex
    ]);

    expect(p.finish()).toBe(2010);
    expect(writes.at(-1)).toBe('\r\x1b[2K');
    // Nothing after the end, and the live line never wrote an end of line.
    p.advance();
    expect(writes.at(-1)).toBe('\r\x1b[2K');
    expect(writes.join('')).not.toContain('\n');
  });

  it('elsewhere: the same words as plain lines, at most one per interval, no control characters', () => {
    const { writes, stream, clock } = setup(false);
    const p = new Progress('Seeding', {
      total: 1000,
      unit: 'rows',
      stream,
      now: clock.now,
      everyMs: 5000,
      heartbeatMs: 0,
    });
    expect(writes).toEqual([]);
    clock.advance(1000);
    p.update(100);
    expect(writes).toEqual([]);
    clock.advance(4000);
    p.update(500, 'batch 5');
    expect(writes).toEqual([
      'Seeding: 500/1000 rows 50% · 100/s · 5.0 s · ~5.0 s left · batch 5\n',
    ]);
    clock.advance(100);
    p.update(510);
    expect(writes).toHaveLength(1);
    clock.advance(5000);
    p.note('batch 6');
    expect(writes).toHaveLength(2);
    p.finish();
    expect(writes).toHaveLength(2);
    expect(writes.join('')).not.toMatch(/[\r\x1b]/); // eslint-disable-line no-control-regex
  });

  it('without a total: a count, the rate and the time so far', () => {
    const { writes, stream, clock } = setup(false);
    const p = new Progress('load', {
      unit: 'requests',
      stream,
      now: clock.now,
      everyMs: 1000,
      heartbeatMs: 0,
    });
    clock.advance(2000);
    p.update(3000);
    expect(writes).toEqual(['load: 3000 requests · 1500/s · 2.0 s\n']);
  });

  it('says durations as a person reads them', () => {
    expect(formatDuration(349.6)).toBe('350 ms');
    expect(formatDuration(4210)).toBe('4.2 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
  });
});
