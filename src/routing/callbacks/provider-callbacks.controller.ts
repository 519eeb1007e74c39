import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CallRecordsService } from './call-records.service.js';
import { NumberHealthService } from './number-health.service.js';
import { PROVIDER_ACK } from './provider-ack.js';
import { UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { RAW_STRINGS } from '../../common/http/json-body-policy.js';
import { ApiTags } from '@nestjs/swagger';
import { CallbackSecretGuard } from '../../auth/callback-secret.guard.js';
import { Roles } from '../../auth/roles.js';
import { ApiErrors } from '../../openapi/api-errors.decorator.js';

function requireArray(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  throw new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: 'Invalid body: must be a JSON array of reports',
    fields: [{ field: 'body', problems: ['must be a JSON array'] }],
  });
}

/**
 * Where the provider pushes call records and number-health reports (its message receipt
 * settings point here). The answer is the acknowledgement Alibaba expects; anything else makes it
 * deliver again after 1, 5 and 10 minutes. Authentication of these routes comes later.
 */
@ApiTags('provider callbacks')
@Roles('provider')
@UseGuards(CallbackSecretGuard)
@ApiErrors(400)
@Controller('v1/callbacks')
export class ProviderCallbacksController {
  constructor(
    private readonly calls: CallRecordsService,
    private readonly health: NumberHealthService,
  ) {}

  /** SecretReport: a JSON array of call records. */
  @Post('call-records')
  @RouteConfig(RAW_STRINGS) // records are checked one by one: one bad string must not refuse a push
  @HttpCode(200)
  async callRecords(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    await this.calls.receive(requireArray(body));
    return PROVIDER_ACK;
  }

  /** SecretExceptionPhoneReport: a JSON array of {secretNo, noStatus 0 abnormal / 1 normal}. */
  @Post('number-health')
  @RouteConfig(RAW_STRINGS)
  @HttpCode(200)
  async numberHealth(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    await this.health.receive(requireArray(body));
    return PROVIDER_ACK;
  }
}
