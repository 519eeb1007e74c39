import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants.js';
import { installDirectRoutes } from '../../src/common/http/direct-routes.js';
import { RoutingController } from '../../src/routing/routing.controller.js';

describe('direct routes', () => {
  it('answer a declared route with their own handler, the route and its hooks kept', async () => {
    const fastify = Fastify();
    installDirectRoutes(fastify, [
      { method: 'POST', url: '/v1/x', handler: (_req, reply) => reply.send({ by: 'direct' }) },
    ]);
    fastify.addHook('onSend', (_req, reply, payload, done) => {
      void reply.header('x-hooked', 'yes');
      done(null, payload);
    });
    fastify.post('/v1/x', () => ({ by: 'declared' }));
    fastify.post('/v1/y', () => ({ by: 'declared' }));
    const x = await fastify.inject({ method: 'POST', url: '/v1/x' });
    expect(x.json()).toEqual({ by: 'direct' });
    expect(x.headers['x-hooked']).toBe('yes');
    expect((await fastify.inject({ method: 'POST', url: '/v1/y' })).json()).toEqual({
      by: 'declared',
    });
    await fastify.close();
  });

  it('refuse to start when a direct route was never declared (no silent fallback)', async () => {
    const fastify = Fastify();
    installDirectRoutes(fastify, [{ method: 'POST', url: '/v1/gone', handler: () => 'x' }]);
    fastify.post('/v1/renamed', () => 'declared');
    await expect(fastify.ready()).rejects.toThrow('Direct routes never declared: POST /v1/gone');
  });

  it('the routing lookup, answered directly, declares no Nest guard, interceptor, pipe or filter (they would be skipped)', () => {
    const lookup = Object.getOwnPropertyDescriptor(RoutingController.prototype, 'lookup')!.value;
    for (const key of [
      GUARDS_METADATA,
      INTERCEPTORS_METADATA,
      PIPES_METADATA,
      EXCEPTION_FILTERS_METADATA,
    ]) {
      expect(Reflect.getMetadata(key, RoutingController) ?? [], `${key} on the controller`).toEqual(
        [],
      );
      expect(Reflect.getMetadata(key, lookup) ?? [], `${key} on lookup`).toEqual([]);
    }
  });
});
