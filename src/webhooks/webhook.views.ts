import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
} from '../generated/prisma/client.js';

/** An endpoint as the API shows it: never its secret (only on creation and rotation). */
export class WebhookEndpointView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'gone' })
  disabledReason!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Until when the previous secret signs too (after a rotation)',
  })
  previousSecretUntil!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(e: WebhookEndpoint, now: Date): WebhookEndpointView {
    const overlap = e.previousSecretUntil && e.previousSecretUntil > now;
    return {
      id: e.id,
      url: e.url,
      events: e.events,
      description: e.description,
      enabled: e.enabled,
      disabledReason: e.disabledReason,
      previousSecretUntil: overlap ? e.previousSecretUntil!.toISOString() : null,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    };
  }
}

/** Creation (and rotation) answer: the signing secret, shown this once. */
export class WebhookEndpointWithSecretView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) secret!: string;
}

export class WebhookAttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ nullable: true, type: Number }) statusCode!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The answer, cut short' })
  response!: string | null;
  @ApiProperty() durationMs!: number;

  static of(a: WebhookAttempt): WebhookAttemptView {
    return {
      attempt: a.attempt,
      at: a.at.toISOString(),
      statusCode: a.statusCode,
      error: a.error,
      response: a.response,
      durationMs: a.durationMs,
    };
  }
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'msg_2b7c0d6f0f2a4bbf9c1c4f1e8a1d3e55', description: 'webhook-id' })
  msgId!: string;
  @ApiProperty({ example: 'binding.ended' }) type!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) bindingId!: string | null;
  @ApiProperty({ enum: ['pending', 'succeeded', 'dead'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiPropertyOptional({ nullable: true, type: Number }) lastStatusCode!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String }) lastError!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) nextAttemptAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) completedAt!: string | null;
  @ApiProperty({ type: [WebhookAttemptView], description: 'The latest tries, newest first' })
  tries!: WebhookAttemptView[];

  static of(
    d: WebhookDelivery & {
      event: { msgId: string; type: string; bindingId: string | null };
      tries: WebhookAttempt[];
    },
  ): WebhookDeliveryView {
    return {
      id: d.id,
      msgId: d.event.msgId,
      type: d.event.type,
      bindingId: d.event.bindingId,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
      createdAt: d.createdAt.toISOString(),
      completedAt: d.completedAt?.toISOString() ?? null,
      tries: [...succeededTry(d), ...d.tries.map((t) => WebhookAttemptView.of(t))],
    };
  }
}

/**
 * A delivery's successful try, recorded on its row (not as a WebhookAttempt: failed tries are),
 * shown as the newest try; numbered after the failed ones before it. None for a delivery that
 * has not succeeded, or succeeded before tries were recorded this way (its attempt row shows it).
 */
function succeededTry(d: WebhookDelivery & { tries: WebhookAttempt[] }): WebhookAttemptView[] {
  if (d.status !== 'succeeded' || d.lastDurationMs === null || !d.completedAt) return [];
  return [
    {
      attempt: (d.tries[0]?.attempt ?? 0) + 1,
      at: d.completedAt.toISOString(),
      statusCode: d.lastStatusCode,
      error: null,
      response: d.lastResponse,
      durationMs: d.lastDurationMs,
    },
  ];
}

export class WebhookDeliveryPageView {
  @ApiProperty({ type: [WebhookDeliveryView] }) items!: WebhookDeliveryView[];
}
