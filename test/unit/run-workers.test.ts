import { describe, expect, it } from 'vitest';
import { runWorkers } from '../../src/common/async/run-workers.js';

/** A promise the test settles by hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

describe('runWorkers', () => {
  it('ends only when every worker has, and a failure stops the others taking more', async () => {
    const first = deferred();
    const secondBatch = deferred();
    const started: string[] = [];
    let settled = false;
    const run = runWorkers(2, async (failed) => {
      if (started.length === 0) {
        started.push('a1');
        await first.promise; // fails below
        return;
      }
      // Worker b: a batch in flight when a fails, then no further one.
      while (!failed()) {
        started.push(`b${started.length}`);
        await secondBatch.promise;
      }
    }).then(
      () => (settled = true),
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    first.reject(new Error('batch failed'));
    // a has failed; b's batch is still running: the run has not ended.
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
    expect(settled).toBe(false);
    secondBatch.resolve();
    await expect(run).rejects.toThrow('batch failed');
    expect(started).toEqual(['a1', 'b1']);
  });

  it('runs them all to the end when none fails', async () => {
    const done: number[] = [];
    await runWorkers(3, async () => {
      done.push(done.length);
    });
    expect(done).toEqual([0, 1, 2]);
  });
});
