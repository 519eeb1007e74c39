import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-event-types.js';

const EVENTS_MESSAGE = `events must be a non-empty list of: ${WEBHOOK_EVENT_TYPES.join(', ')}`;

/** PATCH /v1/webhooks/endpoints/{id}: what is given changes. */
export class UpdateEndpointDto {
  @ApiPropertyOptional({ example: 'https://orders.example.com/axb-events' })
  @IsOptional()
  @IsString({ message: 'url must be an http(s) URL' })
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray({ message: EVENTS_MESSAGE })
  @ArrayMinSize(1, { message: EVENTS_MESSAGE })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: EVENTS_MESSAGE })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional()
  @IsString()
  @Matches(/^\P{Cc}{1,256}$/u, {
    message: 'description must be 1-256 characters without control characters',
  })
  description?: string;

  @ApiPropertyOptional({ description: 'false: disabled (nothing is delivered); true: enabled' })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  @ApiPropertyOptional({
    description:
      'true: a new secret (answered once, as `secret`); the previous one signs too for ' +
      'WEBHOOKS_SECRET_OVERLAP_SECONDS',
  })
  @IsOptional()
  @IsIn([true], { message: 'rotateSecret must be true when given' })
  rotateSecret?: true;
}
