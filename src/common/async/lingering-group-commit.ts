import { setTimeout as sleep } from 'node:timers/promises';

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit with a linger, for items that end within a few ms of each other (the tries of one
 * claimed batch): the first waits `lingerMs` for the rest, then they are written together; while
 * one group is being written, the items that arrive wait and go together in the next. One group
 * is written at a time. (Batcher, beside it, sends a group after one turn of the event loop and
 * runs several at once: for requests, not for work that ends a few ms apart.)
 *
 * When a group of several fails and `alone` is set, each item is written again on its own, so
 * only the ones whose own write fails are refused; else every item of the group gets the error.
 */
export class LingeringGroupCommit<T> {
  private waiting: Waiting<T>[] = [];
  private writing: Promise<void> | undefined;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<void>,
    private readonly lingerMs: number,
    private readonly options: { alone?: boolean } = {},
  ) {}

  /** Resolves once the item's group (or, after a failed group, the item alone) is written. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
    });
  }

  private async writeAll(): Promise<void> {
    await sleep(this.lingerMs);
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        await this.write(group.map((w) => w.item));
        for (const w of group) w.resolve();
      } catch (error) {
        if (!this.options.alone || group.length === 1) {
          for (const w of group) w.reject(error);
          continue;
        }
        for (const w of group) await this.write([w.item]).then(w.resolve, w.reject);
      }
    }
  }
}
