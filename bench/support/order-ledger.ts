/**
 * The fault suite's books: the orders a test sent (and what each was answered) against the
 * bindings rows and the provider's own bindings (the simulator's control API lists them). After a
 * fault and a reconciliation every order must be settled exactly once on both sides; after the
 * unbinds nothing may be left live at the provider.
 */
/**
 * What a request got: an HTTP status; 'refused' when the connection was refused (nothing reached
 * the service); 'no answer' when a connection was cut under it (reset, closed, timed out).
 */
export type Answer = number | 'refused' | 'no answer';

export interface SentOrder {
  outId: string;
  answers: Answer[];
  /** The order service asked to unbind it (DELETE). */
  unbound?: boolean;
}

export interface BindingRowView {
  id: string;
  out_id: string;
  state: string;
  subs_id: string | null;
  /** In reconcile_queue: awaiting reconciliation (open, or its provider check to come). */
  queued: boolean;
}

export interface ProviderBindingView {
  subsId: string;
  outId: string | null;
  live: boolean;
}

export interface LedgerCounts {
  orders: number;
  /** Orders whose binding is active here, with exactly its one live provider binding. */
  active: number;
  /** Orders ended here (unbound, failed, expired) with nothing live at the provider. */
  ended: number;
  /** Orders with two live rows, or two live provider bindings. */
  doubled: number;
  /** Acknowledged but not active; active here but not at the provider; live there, not here. */
  lost: number;
  /** Rows still pending/unknown/unbinding, or ended with their provider check still due. */
  unsettled: number;
  /** Live provider bindings of orders the order service asked to unbind. */
  liveAfterUnbind: number;
  /** Live provider bindings in all (of this pool). */
  liveAtProvider: number;
}

const OPEN = ['pending', 'unknown', 'unbinding'];
const LIVE = ['pending', 'active', 'unknown', 'unbinding'];

/** Counts, and one line per problem found. */
export function balance(
  orders: SentOrder[],
  rows: BindingRowView[],
  provider: ProviderBindingView[],
): { counts: LedgerCounts; problems: string[] } {
  const problems: string[] = [];
  const counts: LedgerCounts = {
    orders: orders.length,
    active: 0,
    ended: 0,
    doubled: 0,
    lost: 0,
    unsettled: 0,
    liveAfterUnbind: 0,
    liveAtProvider: provider.filter((p) => p.live).length,
  };
  const rowsOf = group(rows, (r) => r.out_id);
  const liveThere = group(
    provider.filter((p) => p.live),
    (p) => p.outId ?? '',
  );
  const known = new Set(orders.map((o) => o.outId));
  for (const order of orders) {
    const mine = rowsOf.get(order.outId) ?? [];
    const theirs = liveThere.get(order.outId) ?? [];
    const live = mine.filter((r) => LIVE.includes(r.state));
    const flag = (what: keyof LedgerCounts, text: string) => {
      counts[what] += 1;
      problems.push(`${order.outId}: ${text}`);
    };
    if (live.length > 1 || theirs.length > 1) {
      flag('doubled', `${live.length} live rows, ${theirs.length} live provider bindings`);
    }
    const open = mine.filter((r) => OPEN.includes(r.state) || r.queued);
    if (open.length > 0) flag('unsettled', `still ${open.map((r) => r.state).join(', ')}`);
    if (order.unbound && theirs.length > 0) flag('liveAfterUnbind', 'unbound, live at provider');
    const acknowledged = order.answers.some((a) => a === 200 || a === 201);
    const active = mine.find((r) => r.state === 'active');
    if (active) {
      if (theirs.length === 1 && theirs[0]!.subsId === active.subs_id) counts.active += 1;
      else flag('lost', `active here, ${theirs.length} live provider binding(s) with its SubsId`);
    } else {
      if (acknowledged && !order.unbound && live.length === 0) {
        flag('lost', `acknowledged, now ${mine.map((r) => r.state).join(', ') || 'no row'}`);
      }
      if (theirs.length > 0 && live.length === 0) flag('lost', 'live at the provider, ended here');
      if (live.length === 0 && theirs.length === 0 && mine.length > 0) counts.ended += 1;
    }
  }
  for (const [outId, list] of liveThere) {
    if (!known.has(outId)) {
      counts.lost += list.length;
      problems.push(`${outId}: live at the provider, no such order sent`);
    }
  }
  return { counts, problems };
}

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/** One line for the suite's report: `scenario: orders=… active=… …`. */
export function ledgerLine(scenario: string, counts: LedgerCounts): string {
  return `${scenario.padEnd(46)} ${Object.entries(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}

/** The provider's bindings of a pool, as the simulator's control API lists them. */
export async function simulatorBindings(
  controlUrl: string,
  poolKey: string,
): Promise<ProviderBindingView[]> {
  const res = await fetch(`${controlUrl}/bindings?poolKey=${encodeURIComponent(poolKey)}`);
  return (await res.json()) as ProviderBindingView[];
}
