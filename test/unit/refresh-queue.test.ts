import { describe, expect, it } from 'vitest';
import { RefreshQueue } from '../../src/routing/refresh-queue.js';

/** A refresh that ends when the test says so. */
function work(log: string[], name: string) {
  let finish!: (fail?: boolean) => void;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      log.push(`start ${name}`);
      finish = (fail) => (fail ? reject(new Error(name)) : resolve());
    });
  return { run, finish: (fail?: boolean) => finish(fail) };
}

/** A queue whose later turns run when the test says so (`turn()`), and settles promises. */
function queue(maxInFlight: number, maxWaiting: number) {
  const turns: Array<() => void> = [];
  const q = new RefreshQueue(maxInFlight, maxWaiting, (run) => turns.push(run));
  const turn = async () => {
    await new Promise((r) => setImmediate(r));
    for (const run of turns.splice(0)) run();
  };
  return { q, turn };
}

describe('RefreshQueue (refresh ahead off the lookups path, bounded)', () => {
  it('starts nothing on the offering call: on a later turn', async () => {
    const log: string[] = [];
    const { q, turn } = queue(2, 10);
    const a = work(log, 'a');
    expect(q.offer(a.run)).toBe(true);
    expect(log).toEqual([]);
    await turn();
    expect(log).toEqual(['start a']);
    a.finish();
  });

  it('runs at most maxInFlight at once, the rest in order as earlier ones end (failed ones too)', async () => {
    const log: string[] = [];
    const { q, turn } = queue(2, 10);
    const jobs = ['a', 'b', 'c', 'd', 'e'].map((n) => work(log, n));
    for (const j of jobs) expect(q.offer(j.run)).toBe(true);
    await turn();
    expect(log).toEqual(['start a', 'start b']);
    expect(q.size).toBe(5);
    jobs[0]!.finish(true);
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    jobs[1]!.finish();
    jobs[2]!.finish();
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d', 'start e']);
    jobs[3]!.finish();
    jobs[4]!.finish();
    await turn();
    expect(q.size).toBe(0);
  });

  it('refuses an offer once maxWaiting wait, and takes offers again when they have started', async () => {
    const log: string[] = [];
    const { q, turn } = queue(1, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => work(log, n));
    expect(q.offer(a!.run)).toBe(true);
    expect(q.offer(b!.run)).toBe(true);
    expect(q.offer(c!.run)).toBe(false);
    await turn();
    expect(log).toEqual(['start a']);
    expect(q.offer(c!.run)).toBe(true);
    a!.finish();
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b']);
    b!.finish();
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    c!.finish();
  });

  it('a refresh that throws at once frees its place', async () => {
    const { q, turn } = queue(1, 10);
    const log: string[] = [];
    q.offer(() => {
      throw new Error('sync');
    });
    const b = work(log, 'b');
    q.offer(b.run);
    await turn();
    await turn();
    await turn();
    expect(log).toEqual(['start b']);
    b.finish();
  });
});
