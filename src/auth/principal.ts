import type { Role } from './roles.js';

/**
 * The authenticated caller: the key's name (the actor in events), its roles, and its caller
 * group: the bindings an `order` key may act on are its group's (the key's own name unless the
 * key was given a group; issue 27).
 */
export interface Principal {
  name: string;
  roles: readonly Role[];
  group: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the access hook when the request carried a valid credential (keyed routes; on a
     * public route only by a handler that resolved its caller itself, as readiness does).
     */
    principal?: Principal;
    /** The principal's name, the actor of the events the request causes. */
    actor?: string;
  }
}
