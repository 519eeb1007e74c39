import type { FastifyInstance } from 'fastify';

/**
 * Every answer is `Cache-Control: no-store` unless its route says otherwise (the console's own
 * files do): answers carry real phone numbers (a binding, a reveal, a lookup's fallback, a
 * search) and no browser, proxy or disk cache may keep them. One hook for every route, so a new
 * route that answers a number is covered without remembering to.
 */
export function installNoStore(fastify: FastifyInstance): void {
  // Callback form: no promise per request on the hot path.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
