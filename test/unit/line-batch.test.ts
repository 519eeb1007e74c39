import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineBatch } from '../../src/logging/line-batch.js';

/** A sink that records each write it is handed, and each synchronous flush. */
function sink() {
  const writes: string[] = [];
  let synced = 0;
  return {
    writes,
    synced: () => synced,
    write: (text: string) => writes.push(text),
    flushSync: () => {
      synced += 1;
    },
  };
}

describe('LineBatch (stdout log lines written together)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the lines of one wait over in one write, in order', () => {
    const out = sink();
    const batch = new LineBatch(out, 20, 1_000);
    batch.write('a\n');
    vi.advanceTimersByTime(10);
    batch.write('b\n');
    batch.write('c\n');
    expect(out.writes).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(out.writes).toEqual(['a\nb\nc\n']);
    batch.write('d\n');
    vi.advanceTimersByTime(20);
    expect(out.writes).toEqual(['a\nb\nc\n', 'd\n']);
    // Nothing waiting: no empty writes.
    vi.advanceTimersByTime(100);
    expect(out.writes).toHaveLength(2);
  });

  it('writes at once when a batch reaches its size', () => {
    const out = sink();
    const batch = new LineBatch(out, 20, 8);
    batch.write('1234\n');
    expect(out.writes).toEqual([]);
    batch.write('5678\n');
    expect(out.writes).toEqual(['1234\n5678\n']);
    vi.advanceTimersByTime(20);
    expect(out.writes).toHaveLength(1);
  });

  it('writes what waits, synchronously, when asked to (at exit)', () => {
    const out = sink();
    const batch = new LineBatch(out, 20, 1_000);
    batch.write('last words\n');
    batch.flushSync();
    expect(out.writes).toEqual(['last words\n']);
    expect(out.synced()).toBe(1);
    vi.advanceTimersByTime(20);
    expect(out.writes).toHaveLength(1);
  });
});
