import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service.js';
import { bearer } from './bearer-key.source.js';
import { CREDENTIAL_SOURCES, type CredentialSource } from './credential-source.js';
import type { Principal } from './principal.js';
import type { RouteAccess } from './route-access.js';

/**
 * Who a request is: the first credential source that finds a credential decides (a valid one
 * gives the principal, an invalid one `null`); `undefined` when the request carries none.
 */
@Injectable()
export class PrincipalResolver {
  constructor(
    @Inject(CREDENTIAL_SOURCES) private readonly sources: CredentialSource[],
    private readonly keys: ApiKeysService,
  ) {}

  /**
   * The principal `resolve` would give, when it is known with no wait: a bearer key (the first
   * source) that the key cache holds as valid. Undefined otherwise (then ask `resolve`).
   */
  known(request: FastifyRequest): Principal | undefined {
    const token = bearer(request);
    return token === undefined ? undefined : this.keys.knownPrincipal(token);
  }

  async resolve(
    request: FastifyRequest,
    access: RouteAccess,
  ): Promise<Principal | null | undefined> {
    for (const source of this.sources) {
      const found = await source.resolve(request, access);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
