import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling and the request id, for events and provider-call logs. */
export interface RequestContext {
  actor: string;
  requestId: string;
}

/**
 * The caller's identity for binding events. Until API keys exist every caller is "api"; the
 * authentication layer replaces this with the key's name.
 */
export const CallContext = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RequestContext => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest & { actor?: string }>();
    return { actor: request.actor ?? 'api', requestId: String(request.id) };
  },
);
