import type { FastifyInstance } from 'fastify';
import { formatProviderDate, parseProviderDate } from '../../src/protocol/provider-dates.js';
import { isLive } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';
import { asBody, ControlError, optionalInteger } from './body.js';

/** Reset, statistics, inspection of bindings and numbers, and the simulated clock. */
export function registerInspectionRoutes(app: FastifyInstance, state: SimulatorState): void {
  app.post('/_sim/reset', async () => {
    state.reset();
    return { ok: true };
  });

  app.get('/_sim/stats', async () => state.stats.snapshot());
  app.delete('/_sim/stats', async () => {
    state.stats.clear();
    return { ok: true };
  });

  app.get<{ Querystring: { poolKey?: string } }>('/_sim/bindings', async (request) => {
    const now = state.clock.now();
    const { poolKey } = request.query;
    return state.bindings
      .all()
      .filter((b) => poolKey === undefined || b.poolKey === poolKey)
      .map((b) => ({
        ...b,
        live: isLive(b, now),
        createdAt: new Date(b.createdAt).toISOString(),
        expireAt: new Date(b.expireAt).toISOString(),
        unboundAt: b.unboundAt === null ? null : new Date(b.unboundAt).toISOString(),
      }));
  });

  app.get<{ Querystring: { poolKey?: string; spare?: string } }>(
    '/_sim/numbers',
    async (request) => {
      const now = state.clock.now();
      const { poolKey, spare } = request.query;
      return state.stock
        .all()
        .filter((n) => poolKey === undefined || n.poolKey === poolKey)
        .filter((n) => spare !== 'true' || (n.poolKey === null && n.temporaryFor === null))
        .map((n) => ({ ...n, liveBindings: state.bindings.liveOn(n.secretNo, now).length }));
    },
  );

  /** Alibaba has no action listing a blacklist; this shows the simulator's, per pool. */
  app.get<{ Querystring: { poolKey?: string } }>('/_sim/blacklist', async (request) =>
    state.blacklist.list(request.query.poolKey).map((e) => ({
      poolKey: e.poolKey,
      blackType: e.blackType,
      blackNo: e.blackNoText,
      wayControl: e.wayControl ?? null,
      remark: e.remark,
      addedAt: new Date(e.addedAt).toISOString(),
    })),
  );

  app.get('/_sim/clock', async () => clockView(state));
  app.post('/_sim/clock/advance', async (request) => {
    const ms = optionalInteger(asBody(request.body), 'ms', 0);
    if (ms === undefined) throw new ControlError(400, 'ms is required');
    state.clock.advance(ms);
    return clockView(state);
  });
  app.post('/_sim/clock/set', async (request) => {
    state.clock.set(parseInstant(asBody(request.body).now));
    return clockView(state);
  });
}

function clockView(state: SimulatorState) {
  const now = new Date(state.clock.now());
  return { now: now.toISOString(), epochMs: now.getTime(), providerTime: formatProviderDate(now) };
}

/** `now` as epoch ms, an ISO instant, or provider time `YYYY-MM-DD hh:mm:ss` (Beijing). */
function parseInstant(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const provider = parseProviderDate(value);
    if (provider) return provider.getTime();
    const iso = Date.parse(value);
    if (!Number.isNaN(iso)) return iso;
  }
  throw new ControlError(400, 'now must be epoch ms, an ISO date or YYYY-MM-DD hh:mm:ss');
}
