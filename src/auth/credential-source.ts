import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';
import type { RouteAccess } from './route-access.js';

/**
 * One way a request can prove who it is (an API key in a header, in the query, a session
 * cookie…). `undefined`: the request carries no credential of this kind; `null`: it carries one
 * that is not valid; else the principal.
 */
export interface CredentialSource {
  resolve(request: FastifyRequest, access: RouteAccess): Promise<Principal | null | undefined>;
}

/** The sources the principal resolver asks, in order (AuthModule lists them). */
export const CREDENTIAL_SOURCES = Symbol('CREDENTIAL_SOURCES');
