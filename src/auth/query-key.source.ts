import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service.js';
import type { CredentialSource } from './credential-source.js';
import type { Principal } from './principal.js';
import type { RouteAccess } from './route-access.js';

/**
 * An API key as `?key=`, on provider routes only: the provider's pushes cannot carry headers we
 * choose, only the URL configured at the provider.
 */
@Injectable()
export class QueryKeySource implements CredentialSource {
  constructor(private readonly keys: ApiKeysService) {}

  async resolve(
    request: FastifyRequest,
    access: RouteAccess,
  ): Promise<Principal | null | undefined> {
    if (!access.roles.includes('provider')) return undefined;
    const key = (request.query as Record<string, unknown> | undefined)?.key;
    return typeof key === 'string' && key.length > 0 ? this.keys.authenticate(key) : undefined;
  }
}
