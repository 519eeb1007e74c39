import type { FastifyInstance } from 'fastify';

/**
 * Every answer is `Cache-Control: no-store` unless its route says otherwise (the console's own
 * files do): answers carry real phone numbers (a binding, a reveal, a lookup's fallback, a
 * search) and no browser, proxy or disk cache may keep them. One hook for every route, so a new
 * route that answers a number is covered without remembering to.
 */
export function installNoStore(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  });
}
