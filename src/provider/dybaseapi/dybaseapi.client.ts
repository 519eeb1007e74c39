import { parseProviderDate } from '../../protocol/provider-dates.js';
import { DtoShapeError } from '../dyplsapi/dyplsapi-dto.mapper.js';
import type { DyplsapiEnvelope } from '../dyplsapi/dyplsapi-envelope.js';
import type { SignatureScheme } from '../dyplsapi/dyplsapi-request.builder.js';
import { DyplsapiTransport } from '../dyplsapi/dyplsapi-transport.js';
import type { ProviderCallObserver } from '../provider-call.observer.js';
import type { ProviderCallOptions } from '../provider.port.js';

/** Temporary credentials for one message queue (QueryTokenForMnsQueue's MessageTokenDTO). */
export interface QueueCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ExpireTime (Beijing time, like every Alibaba date of this product family). */
  expiresAt: Date;
}

export interface DybaseapiClientConfig {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  timeoutMs: number;
  signature?: SignatureScheme;
  observer?: ProviderCallObserver;
}

function toCredential(body: DyplsapiEnvelope): QueueCredential {
  const dto = body.MessageTokenDTO as Record<string, unknown> | undefined;
  const field = (name: string) => {
    const value = dto?.[name];
    if (typeof value !== 'string' || value === '') {
      throw new DtoShapeError(dto ? 'invalid-dto' : 'missing-dto', `MessageTokenDTO.${name}`);
    }
    return value;
  };
  const expiresAt = parseProviderDate(field('ExpireTime'));
  if (!expiresAt) throw new DtoShapeError('invalid-dto', 'MessageTokenDTO.ExpireTime');
  return {
    accessKeyId: field('AccessKeyId'),
    accessKeySecret: field('AccessKeySecret'),
    securityToken: field('SecurityToken'),
    expiresAt,
  };
}

/**
 * Alibaba Dybaseapi: QueryTokenForMnsQueue, the way to the message queues. It shares Dyplsapi's
 * version and RPC gateway, so it runs on the same signed transport (V3 by default, timeouts,
 * retries of this read-only action, typed errors); `@alicloud/dybaseapi` (pop-core, HMAC-SHA1,
 * no cancellation) is what the tests check it against.
 */
export class DybaseapiClient {
  private readonly transport: DyplsapiTransport;

  constructor(config: DybaseapiClientConfig) {
    this.transport = new DyplsapiTransport({
      ...config,
      connections: 2,
      readRetries: 1,
    });
  }

  queryTokenForMnsQueue(
    input: { messageType: string; queueName: string },
    options: ProviderCallOptions = {},
  ): Promise<QueueCredential> {
    return this.transport.call(
      'QueryTokenForMnsQueue',
      { MessageType: input.messageType, QueueName: input.queueName },
      options,
      toCredential,
    );
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
