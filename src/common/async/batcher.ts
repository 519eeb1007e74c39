import { performance } from 'node:perf_hooks';

/** Told of each batch once it is over: its items, each one's wait for it to go out, its time (ms). */
export type BatchObserver = (items: number, waitedMs: readonly number[], tookMs: number) => void;

/**
 * Group commit for work that arrives concurrently: items submitted in the same turn of the event
 * loop, or while a batch is being handled, go together in the next one, so under load many items
 * share one round trip and one commit, and a lone item goes after one turn (no timer).
 * At most `maxInFlight` batches run at once, each of at most `maxBatch` items. `handle` answers
 * one result per item, in order; if it throws, every item of that batch gets the error.
 * `observe`, when given, hears of every batch once it is over: its items, how long each waited
 * for it to go out, and how long it took (ms, on `now`).
 */
export class Batcher<I, O> {
  private queue: Array<{
    item: I;
    at: number;
    resolve: (o: O) => void;
    reject: (e: unknown) => void;
  }> = [];
  private inFlight = 0;
  private gathering = false;

  constructor(
    private readonly handle: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
    private readonly observe?: BatchObserver,
    private readonly now: () => number = () => performance.now(),
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, at: this.observe ? this.now() : 0, resolve, reject });
      this.gather();
    });
  }

  /**
   * A batch that is not full goes after the current turn of the event loop: the requests whose
   * input arrived in the same turn join it (no timer; at idle the delay is one turn).
   */
  private gather(): void {
    if (this.queue.length >= this.maxBatch) return this.dispatch();
    if (this.gathering) return;
    this.gathering = true;
    setImmediate(() => {
      this.gathering = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      const started = this.observe ? this.now() : 0;
      // Observed as it ends, before its items' callers go on; an observer's failure is not the
      // items'.
      const over = () => {
        try {
          this.observe?.(
            batch.length,
            batch.map((b) => started - b.at),
            this.now() - started,
          );
        } catch {
          // (metrics only)
        }
      };
      this.handle(batch.map((b) => b.item))
        .then(
          (results) => {
            over();
            batch.forEach((b, i) => {
              if (i < results.length) b.resolve(results[i]!);
              else b.reject(new Error('batch answered fewer results than items'));
            });
          },
          (error: unknown) => {
            over();
            for (const b of batch) b.reject(error);
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.dispatch();
        });
    }
  }
}
