import type { FastifyInstance } from 'fastify';
import { ACTIONS } from '../actions/index.js';
import { buildHealthReport } from '../push/reports.js';
import type { FaultSpec } from '../state/faults.js';
import type { SimulatorState } from '../state/simulator-state.js';
import {
  asBody,
  ControlError,
  oneOf,
  optionalBoolean,
  optionalInteger,
  optionalString,
  requiredString,
  type Body,
} from './body.js';

/** Fault injection: forced codes, latency, held answers, drops, non-JSON answers, number health, permissions. */
export function registerFaultRoutes(app: FastifyInstance, state: SimulatorState): void {
  app.get('/_sim/faults', async () => state.faults.list());

  app.post('/_sim/faults', async (request) => {
    const body = asBody(request.body);
    const action = optionalString(body, 'action') ?? null;
    if (action !== null && !ACTIONS.has(action)) {
      throw new ControlError(400, `action must be one of ${[...ACTIONS.keys()].join(', ')}`);
    }
    const { spec, remaining } = faultSpec(body);
    return state.faults.add(spec, action, remaining);
  });

  app.delete('/_sim/faults', async () => {
    state.faults.clear();
    return { ok: true };
  });

  // One fault ended: a hold releases the answers it keeps waiting.
  app.delete<{ Params: { id: string } }>('/_sim/faults/:id', async (request) => {
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || !state.faults.remove(id)) {
      throw new ControlError(404, `unknown fault ${request.params.id}`);
    }
    return { ok: true };
  });

  app.post('/_sim/private-actions', async (request) => {
    const body = asBody(request.body);
    state.queryCallStatusAllowed =
      oneOf(body, 'queryCallStatus', ['refused', 'allowed']) === 'allowed';
    return { queryCallStatus: state.queryCallStatusAllowed ? 'allowed' : 'refused' };
  });

  app.post<{ Params: { secretNo: string } }>('/_sim/numbers/:secretNo/health', async (request) => {
    const number = state.stock.get(request.params.secretNo);
    if (!number) throw new ControlError(404, `unknown number ${request.params.secretNo}`);
    const health = oneOf(asBody(request.body), 'status', ['abnormal', 'normal']);
    state.setHealth(number, health);
    const report = buildHealthReport(state, number.secretNo, number.poolKey, health);
    // Alibaba delivers number health only through the message queue; the push is the simulator's.
    state.alicom.publish('SecretExceptionPhoneReport', report);
    const url = state.callbacks.healthReportUrl;
    const delivery = url ? state.pusher.push('healthReport', url, [report]) : null;
    return { secretNo: number.secretNo, health, report, deliveryId: delivery?.id ?? null };
  });
}

/** Exactly one of: code, latencyMs, hold, drop, httpStatus. */
function faultSpec(body: Body): { spec: FaultSpec; remaining: number | null } {
  const kinds = ['code', 'latencyMs', 'hold', 'drop', 'httpStatus'].filter(
    (k) => body[k] !== undefined,
  );
  if (kinds.length !== 1) {
    throw new ControlError(400, 'give exactly one of code, latencyMs, hold, drop, httpStatus');
  }
  const count = optionalInteger(body, 'count', 1);
  switch (kinds[0]) {
    case 'code':
      return {
        spec: {
          kind: 'code',
          code: requiredString(body, 'code'),
          message: optionalString(body, 'message'),
        },
        remaining: count ?? 1,
      };
    case 'latencyMs':
      return {
        spec: { kind: 'latency', latencyMs: optionalInteger(body, 'latencyMs', 0) ?? 0 },
        remaining: count ?? null,
      };
    case 'hold':
      if (body.hold !== true) throw new ControlError(400, 'hold must be true');
      return { spec: { kind: 'hold' }, remaining: count ?? null };
    case 'drop':
      return {
        spec: { kind: 'drop', afterProcessing: optionalBoolean(body, 'afterProcessing') ?? false },
        remaining: optionalInteger(body, 'drop', 1) ?? 1,
      };
    default:
      return {
        spec: {
          kind: 'http',
          httpStatus: optionalInteger(body, 'httpStatus', 100) ?? 502,
          body:
            typeof body.body === 'string' ? body.body : '<html><body>502 Bad Gateway</body></html>',
          contentType: optionalString(body, 'contentType') ?? 'text/html',
        },
        remaining: count ?? 1,
      };
  }
}
