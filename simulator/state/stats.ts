/** Calls per action and per Code, so tests can assert "exactly one BindAxb". */

export interface ActionStats {
  calls: number;
  codes: Record<string, number>;
}

export interface StatsSnapshot {
  total: number;
  byAction: Record<string, ActionStats>;
  byCode: Record<string, number>;
}

export class CallStats {
  private total = 0;
  private byAction: Record<string, ActionStats> = {};
  private byCode: Record<string, number> = {};

  /** `code` is the response Code, or a pseudo code for faults: (dropped), HTTP_502. */
  record(action: string, code: string): void {
    const name = action === '' ? '(none)' : action;
    this.total += 1;
    const entry = (this.byAction[name] ??= { calls: 0, codes: {} });
    entry.calls += 1;
    entry.codes[code] = (entry.codes[code] ?? 0) + 1;
    this.byCode[code] = (this.byCode[code] ?? 0) + 1;
  }

  snapshot(): StatsSnapshot {
    return structuredClone({ total: this.total, byAction: this.byAction, byCode: this.byCode });
  }

  clear(): void {
    this.total = 0;
    this.byAction = {};
    this.byCode = {};
  }
}
