import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-event-types.js';

const EVENTS_MESSAGE = `events must be a non-empty list of: ${WEBHOOK_EVENT_TYPES.join(', ')}`;

/** POST /v1/webhooks/endpoints. The URL is checked further by endpointUrlProblem(). */
export class CreateEndpointDto {
  @ApiProperty({ example: 'https://orders.example.com/axb-events' })
  @IsString({ message: 'url must be an http(s) URL' })
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['binding.ended'] })
  @IsArray({ message: EVENTS_MESSAGE })
  @ArrayMinSize(1, { message: EVENTS_MESSAGE })
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length, { message: EVENTS_MESSAGE })
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events!: WebhookEventType[];

  @ApiPropertyOptional({ example: 'order service, production', maxLength: 256 })
  @IsOptional()
  @IsString()
  @Matches(/^\P{Cc}{1,256}$/u, {
    message: 'description must be 1-256 characters without control characters',
  })
  description?: string;
}
