import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Which bindings the caller may act on (issue 27): those its caller group made, or all of them
 * (`all`: an admin key).
 */
export interface CallerScope {
  group: string;
  all: boolean;
}

/** Who is calling and the request id, for events and provider-call logs. */
export interface RequestContext {
  actor: string;
  requestId: string;
  scope: CallerScope;
}

/**
 * The caller's identity for binding events (the key's name; "api" on a route without a
 * principal) and its scope.
 */
export const CallContext = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RequestContext =>
    requestContextOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

/** The same, from the request itself (a route Fastify answers directly: see direct-routes.ts). */
export function requestContextOf(request: FastifyRequest): RequestContext {
  const principal = request.principal;
  const actor = request.actor ?? 'api';
  return {
    actor,
    requestId: String(request.id),
    scope: {
      group: principal?.group ?? actor,
      all: principal?.roles.includes('admin') ?? false,
    },
  };
}
