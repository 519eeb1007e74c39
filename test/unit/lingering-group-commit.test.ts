import { describe, expect, it } from 'vitest';
import { LingeringGroupCommit } from '../../src/common/async/lingering-group-commit.js';

/** A write whose answers the test gives, one group at a time. */
function controlledWrite() {
  const groups: string[][] = [];
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  const write = (items: readonly string[]) =>
    new Promise<void>((resolve, reject) => {
      groups.push([...items]);
      pending.push({ resolve, reject });
    });
  const next = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    return pending.shift()!;
  };
  return { groups, write, next };
}

const outcome = (p: Promise<void>) =>
  p.then(
    () => 'written',
    (e: unknown) => `refused: ${(e as Error).message}`,
  );

describe('LingeringGroupCommit', () => {
  it('writes items submitted together as one group, and those arriving meanwhile as the next', async () => {
    const w = controlledWrite();
    const commit = new LingeringGroupCommit<string>(w.write, 0);
    const first = [commit.submit('a'), commit.submit('b')];
    const firstWrite = await w.next();
    const second = [commit.submit('c'), commit.submit('d')];
    firstWrite.resolve();
    await Promise.all(first);
    (await w.next()).resolve();
    await Promise.all(second);
    expect(w.groups).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('refuses every item of a failed group unless asked to write them alone', async () => {
    const w = controlledWrite();
    const commit = new LingeringGroupCommit<string>(w.write, 0);
    const items = [commit.submit('a'), commit.submit('b')].map(outcome);
    (await w.next()).reject(new Error('lapsed'));
    expect(await Promise.all(items)).toEqual(['refused: lapsed', 'refused: lapsed']);
    expect(w.groups).toEqual([['a', 'b']]);
  });

  it('with alone, writes a failed group item by item: only the failing one is refused', async () => {
    const w = controlledWrite();
    const commit = new LingeringGroupCommit<string>(w.write, 0, { alone: true });
    const items = [commit.submit('a'), commit.submit('b')].map(outcome);
    (await w.next()).reject(new Error('b lapsed'));
    (await w.next()).resolve();
    (await w.next()).reject(new Error('b lapsed'));
    expect(await Promise.all(items)).toEqual(['written', 'refused: b lapsed']);
    expect(w.groups).toEqual([['a', 'b'], ['a'], ['b']]);
  });
});
