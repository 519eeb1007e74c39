import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A route Nest declares and Fastify answers with this handler (see installDirectRoutes). */
export interface DirectRoute {
  method: string;
  url: string;
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown;
}

/**
 * Hot routes answered by a plain Fastify handler instead of Nest's. The controller still
 * declares the route, so its access rule (@Roles, read by the access hook), its API document and
 * the route list stay where every other route's are, and every Fastify hook (access, body policy,
 * request log, metrics, no-store) runs as for any route; errors reach the same error filter
 * (through the error handler Nest gives Fastify). What is skipped is Nest's per-request pipeline
 * around the handler: the execution context, parameter decorators and pipes, the exception
 * zone and the promise hops between them, which a profile of cached routing lookups put at
 * about a tenth of a lookup's time. The handler must answer exactly as the controller method
 * would (same status, same body): the controller method and the handler share their code.
 *
 * The swap is made as Nest registers the route (Fastify's onRoute hook, so this is installed
 * before the application is initialised); the server refuses to start if a direct route was
 * never registered (renamed in the controller, say), rather than silently answering through Nest.
 */
export function installDirectRoutes(fastify: FastifyInstance, routes: DirectRoute[]): void {
  const waiting = new Set(routes);
  fastify.addHook('onRoute', (options) => {
    const methods = ([] as string[]).concat(options.method);
    for (const route of waiting) {
      if (options.url === route.url && methods.length === 1 && methods[0] === route.method) {
        options.handler = route.handler;
        waiting.delete(route);
      }
    }
  });
  fastify.addHook('onReady', (done) => {
    const missing = [...waiting].map((r) => `${r.method} ${r.url}`);
    done(
      missing.length ? new Error(`Direct routes never declared: ${missing.join(', ')}`) : undefined,
    );
  });
}
