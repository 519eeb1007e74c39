import Fastify, { type FastifyInstance } from 'fastify';
import { registerCallbackRoutes } from './control/callback-routes.js';
import { ControlError } from './control/body.js';
import { registerFaultRoutes } from './control/fault-routes.js';
import { registerInspectionRoutes } from './control/inspection-routes.js';
import { registerMnsControlRoutes } from './control/mns-routes.js';
import { MNS_PREFIX, registerMnsRoutes } from './mns/mns-route.js';
import { stringifyWithBigIntegers } from '../src/protocol/json-big-integers.js';
import { registerDyplsapiRoute } from './http/dyplsapi-route.js';
import { registerRecordingRoute } from './recordings/recording-route.js';
import { resolveOptions, type RunningSimulator, type SimulatorOptions } from './options.js';
import { SimulatorState } from './state/simulator-state.js';

export type { RunningSimulator, SimulatorOptions } from './options.js';

/**
 * Starts a Dyplsapi-compatible server: the Dyplsapi (and Dybaseapi) endpoint at the root path, the
 * MNS queue API under /mns and the control API under /_sim, all on one port.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const state = new SimulatorState(resolveOptions(options));
  const closing = new AbortController();
  // forceCloseConnections: close() must not wait for clients' idle keep-alive sockets.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  registerBodyParsers(app);
  // Reports carry BigInt ids (sub_id beyond 2^53); control answers show them as JSON integers.
  app.setReplySerializer((payload) => stringifyWithBigIntegers(payload));

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ControlError) {
      return reply.code(error.statusCode).send({ error: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ error: error instanceof Error ? error.message : 'error' });
  });

  registerDyplsapiRoute(app, state, closing.signal);
  registerInspectionRoutes(app, state);
  registerFaultRoutes(app, state);
  registerCallbackRoutes(app, state);
  registerMnsRoutes(app, state, closing.signal);
  registerMnsControlRoutes(app, state);
  registerRecordingRoute(app, state);

  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const base = `http://${urlHost(host)}:${port}`;
  state.recordings.baseUrl = base;

  let closed: Promise<void> | undefined;
  return {
    url: `${base}/`,
    controlUrl: `${base}/_sim`,
    mnsEndpoint: `${base}${MNS_PREFIX}`,
    accountUid: state.options.accountUid,
    close: () => {
      closed ??= (async () => {
        closing.abort();
        state.alicom.wakeAll();
        state.pusher.cancelAll();
        await app.close();
      })();
      return closed;
    },
  };
}

/**
 * Form bodies and any other POST body reach the Dyplsapi route as raw text (it parses them
 * itself); JSON, for the control API, tolerates an empty body so `curl -X POST` works.
 */
function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ControlError(400, 'body is not valid JSON'), undefined);
    }
  });
  // Raw bytes: V3 signs the body's SHA-256 and MNS its MD5, so nothing may re-encode it.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/** A wildcard listen address is reached through loopback; IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
