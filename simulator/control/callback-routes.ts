import type { FastifyInstance } from 'fastify';
import { isLive } from '../state/bindings.js';
import { simulateCall } from '../push/call-simulation.js';
import type { SimulatorState } from '../state/simulator-state.js';
import {
  asBody,
  ControlError,
  oneOf,
  optionalBoolean,
  optionalInteger,
  optionalStrings,
  requiredString,
  type Body,
} from './body.js';

/** Push targets, simulated calls (SecretReport pushes) and the delivery log. */
export function registerCallbackRoutes(app: FastifyInstance, state: SimulatorState): void {
  app.get('/_sim/callbacks', async () => ({ ...state.callbacks, deliveries: state.pusher.list() }));

  app.post('/_sim/callbacks', async (request) => {
    const body = asBody(request.body);
    if ('callRecordUrl' in body) state.callbacks.callRecordUrl = urlOrNull(body, 'callRecordUrl');
    if ('healthReportUrl' in body) {
      state.callbacks.healthReportUrl = urlOrNull(body, 'healthReportUrl');
    }
    return { ...state.callbacks };
  });

  app.get('/_sim/deliveries', async () => state.pusher.list());

  app.post('/_sim/calls', async (request) => {
    const body = asBody(request.body);
    const subsId = requiredString(body, 'subsId');
    const binding = state.bindings.get(subsId);
    if (!binding) throw new ControlError(404, `unknown subsId ${subsId}`);
    if (!isLive(binding, state.clock.now())) {
      throw new ControlError(409, `binding ${subsId} is not live: no call can connect through it`);
    }
    const outcome = simulateCall(state, binding, {
      caller: oneOf(body, 'caller', ['A', 'B']),
      durationSeconds: optionalInteger(body, 'durationSeconds', 0),
      releaseCause: optionalInteger(body, 'releaseCause', 0),
      record: optionalBoolean(body, 'record'),
      intercepted: optionalBoolean(body, 'intercepted'),
      transcript: optionalStrings(body, 'transcript'),
      duplicate: optionalBoolean(body, 'duplicate'),
    });
    const url = state.callbacks.callRecordUrl;
    const deliveryIds: number[] = [];
    for (let i = 0; i < outcome.copies && url; i += 1) {
      deliveryIds.push(state.pusher.push('callRecord', url, [outcome.record]).id);
    }
    return {
      records: Array.from({ length: outcome.copies }, () => outcome.record),
      intercepted: outcome.interception !== null,
      pushed: Boolean(url),
      deliveryIds,
    };
  });
}

function urlOrNull(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^https?:\/\//.test(value)) {
    throw new ControlError(400, `${name} must be an http(s) URL or null`);
  }
  return value;
}
