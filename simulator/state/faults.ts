/**
 * Injected faults. Each applies to one action (or all when `action` is omitted) for its next
 * `remaining` calls; only requests that passed authentication consume them.
 */

export type FaultSpec =
  | { kind: 'code'; code: string; message?: string }
  | { kind: 'latency'; latencyMs: number }
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

  add(spec: FaultSpec, action: string | null, remaining: number | null): Fault {
    const fault = { ...spec, id: this.nextId, action, remaining } as Fault;
    this.nextId += 1;
    this.faults.push(fault);
    return fault;
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
  }
}
