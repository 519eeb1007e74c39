/**
 * Injected faults. Each applies to one action (or all when `action` is omitted) for its next
 * `remaining` calls; only requests that passed authentication consume them.
 */

export type FaultSpec =
  | { kind: 'code'; code: string; message?: string }
  | { kind: 'latency'; latencyMs: number }
  /** The answer waits (after the action ran) until the fault is released: time the test controls. */
  | { kind: 'hold' }
  | { kind: 'drop'; afterProcessing: boolean }
  | { kind: 'http'; httpStatus: number; body: string; contentType: string };

export type Fault = FaultSpec & {
  id: number;
  action: string | null;
  /** Calls left; null means until the faults are cleared. */
  remaining: number | null;
};

export class FaultBook {
  private faults: Fault[] = [];
  private nextId = 1;
  /** Each hold fault's release, kept until released: its uses may all be taken and waiting. */
  private readonly holds = new Map<number, { released: Promise<void>; release: () => void }>();

  add(spec: FaultSpec, action: string | null, remaining: number | null): Fault {
    const fault = { ...spec, id: this.nextId, action, remaining } as Fault;
    this.nextId += 1;
    this.faults.push(fault);
    if (spec.kind === 'hold') {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      this.holds.set(fault.id, { released, release });
    }
    return fault;
  }

  /** Resolves when the hold fault `id` is released (at once when it is unknown or released). */
  released(id: number): Promise<void> {
    return this.holds.get(id)?.released ?? Promise.resolve();
  }

  /** Ends one fault: its unused uses are dropped and the answers it holds go. False if unknown. */
  remove(id: number): boolean {
    const known = this.faults.some((f) => f.id === id) || this.holds.has(id);
    this.faults = this.faults.filter((f) => f.id !== id);
    this.holds.get(id)?.release();
    this.holds.delete(id);
    return known;
  }

  /** Consumes one use of the first active fault of that kind for the action. */
  take<K extends Fault['kind']>(
    kind: K,
    action: string,
    accept: (fault: Extract<Fault, { kind: K }>) => boolean = () => true,
  ): Extract<Fault, { kind: K }> | undefined {
    const fault = this.faults.find(
      (f) =>
        f.kind === kind &&
        (f.action === null || f.action === action) &&
        accept(f as Extract<Fault, { kind: K }>),
    );
    if (!fault) return undefined;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    }
    return fault as Extract<Fault, { kind: K }>;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
    for (const hold of this.holds.values()) hold.release();
    this.holds.clear();
  }
}
