/** Refreshes ahead running at once, at most (binding reads and provider questions together). */
export const REFRESHES_IN_FLIGHT = 2;
/** Refreshes waiting for their turn, at most: past it an offer is refused. */
export const REFRESHES_WAITING = 1_000;

/**
 * The background work of refresh ahead (RoutingService: a cached binding read again, a
 * remembered provider answer asked again), kept off the lookups' path and bounded. Entries stored
 * together (a burst of calls, the first lookups after a start) fall due together: each one's
 * refresh used to start inside the lookup that noticed it (the read's or the provider request's
 * building, signing and sending on that lookup's turn), all of them at once. Here a refresh starts
 * on a later turn of the event loop (`defer`, setImmediate), at most REFRESHES_IN_FLIGHT run at
 * once and the rest wait in order, so a due burst becomes a short queue instead of a stall of
 * every lookup behind it; a refused offer (REFRESHES_WAITING wait already) gives its claim back
 * for a later lookup to try again.
 */
export class RefreshQueue {
  private inFlight = 0;
  private readonly waiting: Array<() => Promise<unknown>> = [];
  private scheduled = false;

  constructor(
    private readonly maxInFlight = REFRESHES_IN_FLIGHT,
    private readonly maxWaiting = REFRESHES_WAITING,
    private readonly defer: (run: () => void) => void = setImmediate,
  ) {}

  /** Refreshes offered and not yet finished (running or waiting). */
  get size(): number {
    return this.inFlight + this.waiting.length;
  }

  /**
   * Queues `work` to run off the caller's path; false, and nothing queued, when too many wait.
   * `work`'s failure is its own to handle: a rejection is ignored here.
   */
  offer(work: () => Promise<unknown>): boolean {
    if (this.waiting.length >= this.maxWaiting) return false;
    this.waiting.push(work);
    this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const work = this.waiting.shift()!;
      this.inFlight += 1;
      let running: Promise<unknown>;
      try {
        running = work();
      } catch {
        running = Promise.resolve();
      }
      void running
        .catch(() => undefined)
        .finally(() => {
          this.inFlight -= 1;
          this.schedule();
        });
    }
  }
}
