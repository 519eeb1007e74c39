import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACTIONS } from '../actions/index.js';
import type { SimulatorState } from '../state/simulator-state.js';
import { ApiError } from './api-error.js';
import { authenticate } from './authenticate.js';
import { NonceCache } from './nonce-cache.js';
import { incomingCall } from './params.js';

const KNOWN_ACTIONS: ReadonlySet<string> = new Set(ACTIONS.keys());

/**
 * The Dyplsapi endpoint: GET or form POST to the root path, signed with V3 (ACS3-HMAC-SHA256)
 * or the HMAC-SHA1 RPC scheme. Authenticates, applies injected faults,
 * runs the action and answers with Alibaba's JSON envelope `{RequestId, Code, Message, ...DTO}`.
 * `closing` aborts injected latency and held answers so the server can close without waiting
 * them out; a reset aborts them too (see SimulatorState.resetSignal).
 */
export function registerDyplsapiRoute(
  app: FastifyInstance,
  state: SimulatorState,
  closing: AbortSignal,
): void {
  const nonces = new NonceCache(state.options.timestampSkewSeconds * 1000);
  const credentials = {
    accessKeyId: state.options.accessKeyId,
    accessKeySecret: state.options.accessKeySecret,
    timestampSkewMs: state.options.timestampSkewSeconds * 1000,
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const call = incomingCall(request);
    let action = call.params.Action ?? String(call.headers['x-acs-action'] ?? '');
    let params: typeof call.params;
    try {
      ({ action, params } = authenticate(call, KNOWN_ACTIONS, credentials, nonces));
    } catch (error) {
      return sendError(reply, state, action, error);
    }

    if (state.faults.take('drop', action, (f) => !f.afterProcessing)) {
      return drop(reply, state, action);
    }
    const http = state.faults.take('http', action);
    if (http) {
      state.stats.record(action, `HTTP_${http.httpStatus}`);
      await reply.code(http.httpStatus).header('content-type', http.contentType).send(http.body);
      return;
    }
    const forced = state.faults.take('code', action);

    let status = 200;
    let body: Record<string, unknown>;
    try {
      if (forced) throw new ApiError(forced.code, forced.message);
      const dto = ACTIONS.get(action)?.({ state, params, now: state.clock.now() }) ?? {};
      body = envelope('OK', 'OK', dto);
    } catch (error) {
      const apiError = toApiError(error, request);
      status = apiError.httpStatus;
      body = envelope(apiError.code, apiError.message);
    }

    const latency = state.faults.take('latency', action);
    const hold = state.faults.take('hold', action);
    if (latency || hold) {
      const era = state.resetSignal;
      const signal = AbortSignal.any([closing, era]);
      const aborted = await Promise.all([
        latency && sleep(latency.latencyMs, false, { signal }),
        hold && abortable(state.faults.released(hold.id), signal),
      ]).then(
        () => false,
        () => true,
      );
      // Reset meanwhile: the call belongs to a state that is gone, and records nothing in the new one.
      if (aborted) return era.aborted ? cut(reply) : drop(reply, state, action);
    }
    // A drop after processing leaves the outcome unknown to the client, as a lost answer does.
    if (state.faults.take('drop', action, (f) => f.afterProcessing)) {
      return drop(reply, state, action);
    }
    state.stats.record(action, String(body.Code));
    await sendJson(reply, status, body);
  };

  app.route({ method: ['GET', 'POST'], url: '/', handler });
}

/** `promise`, or a rejection once `signal` aborts first. */
function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function envelope(code: string, message: string, dto: Record<string, unknown> = {}) {
  return { RequestId: randomUUID().toUpperCase(), Code: code, Message: message, ...dto };
}

function toApiError(error: unknown, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error;
  request.log.error({ err: error }, 'simulator action failed');
  return new ApiError('isp.SYSTEM_ERROR', 'simulator internal error');
}

async function sendError(
  reply: FastifyReply,
  state: SimulatorState,
  action: string,
  error: unknown,
): Promise<void> {
  const apiError = toApiError(error, reply.request);
  state.stats.record(action, apiError.code);
  const body = {
    ...envelope(apiError.code, apiError.message),
    HostId: 'dyplsapi.aliyuncs.com',
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(apiError.code)}`,
  };
  await sendJson(reply, apiError.httpStatus, body);
}

async function sendJson(reply: FastifyReply, status: number, body: unknown): Promise<void> {
  await reply
    .code(status)
    .header('content-type', 'application/json;charset=utf-8')
    .send(JSON.stringify(body));
}

/** Destroys the connection without an answer, as a network failure would (counted). */
function drop(reply: FastifyReply, state: SimulatorState, action: string): void {
  state.stats.record(action, '(dropped)');
  cut(reply);
}

function cut(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.destroy();
  reply.request.raw.socket.destroy();
}
