import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { RAW_STRINGS } from '../../common/http/json-body-policy.js';
import { validationFailed } from '../../common/validation/validation-failed.js';
import { ApiTags } from '@nestjs/swagger';
import { CallbackSecretGuard } from '../../auth/callback-secret.guard.js';
import { Roles } from '../../auth/roles.js';
import { ApiErrors } from '../../openapi/api-errors.decorator.js';
import { PROVIDER_ACK } from './provider-ack.js';
import { ProviderReportsService, type HandledMessageType } from './provider-reports.service.js';

function requireArray(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  throw validationFailed('body', 'must be a JSON array of reports');
}

/**
 * Where the provider pushes reports over HTTP, for accounts whose message receipt settings point
 * here (number health is never pushed by Alibaba: it comes through the message queue consumer,
 * which hands records to the same ProviderReportsService; its push route is off by default). Each record is stored on its own;
 * records that cannot be stored are dead-lettered and the push is still acknowledged, so only a
 * database failure (500) makes the provider deliver again after 1, 5 and 10 minutes.
 */
@ApiTags('provider callbacks')
@Roles('provider')
@UseGuards(CallbackSecretGuard)
@ApiErrors(400)
@Controller('v1/callbacks')
export class ProviderCallbacksController {
  constructor(private readonly reports: ProviderReportsService) {}

  private async receive(type: HandledMessageType, body: unknown): Promise<typeof PROVIDER_ACK> {
    await this.reports.receive(type, requireArray(body), { kind: 'push' });
    return PROVIDER_ACK;
  }

  /** SecretReport: a JSON array of call records. */
  @Post('call-records')
  @RouteConfig(RAW_STRINGS) // records are checked one by one: one bad string must not refuse a push
  @HttpCode(200)
  callRecords(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    return this.receive('SecretReport', body);
  }

  /**
   * SecretExceptionPhoneReport: a JSON array of {secretNo, noStatus 0 abnormal / 1 normal}. Off
   * unless CALLBACK_NUMBER_HEALTH_ENABLED (403 NUMBER_HEALTH_PUSH_DISABLED): Alibaba delivers
   * number health through the queue only, and a pushed report never lets routing fall back to a
   * real number (its origin cannot be proven).
   */
  @Post('number-health')
  @RouteConfig(RAW_STRINGS)
  @HttpCode(200)
  numberHealth(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    return this.receive('SecretExceptionPhoneReport', body);
  }

  /** SecretRecording: a JSON array of {call_id, sub_id, pool_key, call_time, out_id}. */
  @Post('recordings')
  @RouteConfig(RAW_STRINGS)
  @HttpCode(200)
  recordings(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    return this.receive('SecretRecording', body);
  }

  /** SecretAsrReport: a JSON array of {callId, bizDuration, secretNo, statusCode, sentences}. */
  @Post('asr-reports')
  @RouteConfig(RAW_STRINGS)
  @HttpCode(200)
  asrReports(@Body() body: unknown): Promise<typeof PROVIDER_ACK> {
    return this.receive('SecretAsrReport', body);
  }
}
