import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/common/async/batcher.js';

/** A handler whose batches the test answers by hand: no timing involved. */
function manualHandler() {
  const batches: Array<{
    items: number[];
    answer: (o: string[]) => void;
    fail: (e: unknown) => void;
  }> = [];
  const handle = (items: number[]) =>
    new Promise<string[]>((answer, fail) => batches.push({ items, answer, fail }));
  return { batches, handle };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Batcher (group commit)', () => {
  it('sends the items submitted in one turn together, and answers each its own result', async () => {
    const { batches, handle } = manualHandler();
    const batcher = new Batcher(handle, 10, 1);
    const results = [1, 2, 3].map((i) => batcher.submit(i));
    expect(batches).toHaveLength(0);
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3]]);
    batches[0]!.answer(['a', 'b', 'c']);
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('gathers what arrives while a batch is in flight into the next, within maxBatch and maxInFlight', async () => {
    const { batches, handle } = manualHandler();
    const batcher = new Batcher(handle, 2, 1);
    const first = batcher.submit(1);
    await turn();
    const later = [2, 3, 4].map((i) => batcher.submit(i));
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1]]);
    batches[0]!.answer(['one']);
    await first;
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3]]);
    batches[1]!.answer(['two', 'three']);
    await turn();
    expect(batches.map((b) => b.items)).toEqual([[1], [2, 3], [4]]);
    batches[2]!.answer(['four']);
    await expect(Promise.all(later)).resolves.toEqual(['two', 'three', 'four']);
  });

  it('sends a full batch at once, without waiting for the turn to end', () => {
    const { batches, handle } = manualHandler();
    const batcher = new Batcher(handle, 2, 2);
    void batcher.submit(1);
    void batcher.submit(2);
    expect(batches.map((b) => b.items)).toEqual([[1, 2]]);
  });

  it('fails every item of a batch whose handler throws or answers too few results', async () => {
    const { batches, handle } = manualHandler();
    const batcher = new Batcher(handle, 10, 1);
    const failed = [1, 2].map((i) => batcher.submit(i));
    await turn();
    batches[0]!.fail(new Error('database away'));
    for (const r of failed) await expect(r).rejects.toThrow('database away');
    const short = [3, 4].map((i) => batcher.submit(i));
    await turn();
    batches[1]!.answer(['only one']);
    await expect(short[0]).resolves.toBe('only one');
    await expect(short[1]).rejects.toThrow('fewer results');
  });
});

describe('Batcher observed', () => {
  it('tells each batch as it ends, before its callers go on: its items, their waits, its time', async () => {
    const { batches, handle } = manualHandler();
    let clock = 0;
    const seen: Array<[number, readonly number[], number]> = [];
    const batcher = new Batcher(
      handle,
      10,
      1,
      (n, waited, took) => seen.push([n, waited, took]),
      () => clock,
    );
    const first = batcher.submit(1);
    await turn();
    // The first is in flight from 0 to 5; 2 and 3 arrive meanwhile, at 2 and 4.
    const later: Array<Promise<string>> = [];
    clock = 2;
    later.push(batcher.submit(2));
    clock = 4;
    later.push(batcher.submit(3));
    clock = 5;
    batches[0]!.answer(['one']);
    await first.then(() => expect(seen).toEqual([[1, [0], 5]]));
    await turn();
    clock = 12;
    batches[1]!.fail(new Error('database away'));
    for (const r of later) await expect(r).rejects.toThrow('database away');
    // The second went out at 5: 2 waited 3 ms, 3 waited 1 ms; it failed at 12, after 7 ms.
    expect(seen).toEqual([
      [1, [0], 5],
      [2, [3, 1], 7],
    ]);
  });

  it('answers its items whatever the observer does', async () => {
    const { batches, handle } = manualHandler();
    const batcher = new Batcher(handle, 10, 1, () => {
      throw new Error('metrics broke');
    });
    const result = batcher.submit(1);
    await turn();
    batches[0]!.answer(['one']);
    await expect(result).resolves.toBe('one');
  });
});
