import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service.js';
import type { CredentialSource } from './credential-source.js';
import type { Principal } from './principal.js';

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearer(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/** An API key in `Authorization: Bearer <key>`. */
@Injectable()
export class BearerKeySource implements CredentialSource {
  constructor(private readonly keys: ApiKeysService) {}

  async resolve(request: FastifyRequest): Promise<Principal | null | undefined> {
    const token = bearer(request);
    return token === undefined ? undefined : this.keys.authenticate(token);
  }
}
