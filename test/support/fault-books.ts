import pg from 'pg';
import { expect } from 'vitest';
import type { OrderBook } from '../../bench/support/order-book.js';
import { ledgerLine, type ProviderBindingView } from '../../bench/support/order-ledger.js';
import type { TestSimulator } from './simulator.js';

/**
 * The end of every fault-suite scenario: reconcile until nothing awaits it, check the books (0
 * doubled, 0 lost, 0 unsettled, every order decided), unbind every order at trip end while the
 * provider drops a couple of UnbindSubscription calls, reconcile again, and check that nothing is
 * left live at the provider. Each balance is one line of the suite's report.
 */
export async function closeBooks(options: {
  name: string;
  book: OrderBook;
  /** The service the order service talks to now. */
  url: string;
  db: Pick<pg.Pool, 'query'>;
  sim: Pick<TestSimulator, 'control'>;
  poolKey: string;
  /** Reconciliation until none of the book's orders awaits it. */
  settle: () => Promise<unknown>;
  report: string[];
}): Promise<void> {
  const { name, book, url, db, sim, report } = options;
  const providerBindings = () =>
    sim.control<ProviderBindingView[]>('GET', `/bindings?poolKey=${options.poolKey}`);
  await options.settle();
  const settled = await book.balance(db, providerBindings);
  report.push(ledgerLine(`${name}: after reconciliation`, settled.counts));
  expect(settled.problems).toEqual([]);
  expect(settled.counts).toMatchObject({ doubled: 0, lost: 0, unsettled: 0 });
  // Every order decided: its one binding at the provider, or ended with nothing there.
  expect(settled.counts.active + settled.counts.ended).toBe(book.sent.size);

  await sim.control('POST', '/faults', { action: 'UnbindSubscription', drop: 2 });
  const unbinds = await book.unbindAll(url, db);
  await sim.control('DELETE', '/faults');
  await options.settle();
  const ended = await book.balance(db, providerBindings);
  report.push(ledgerLine(`${name}: after unbind ${JSON.stringify(unbinds)}`, ended.counts));
  expect(ended.problems).toEqual([]);
  expect(ended.counts).toMatchObject({
    doubled: 0,
    lost: 0,
    unsettled: 0,
    liveAfterUnbind: 0,
    liveAtProvider: 0,
  });
}
