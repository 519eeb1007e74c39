import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_TTL_SECONDS, OUT_ID_PATTERN } from './create-binding.dto.js';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';
import { IsApiDate } from '../../common/validation/api-date.js';
import { ParsedBy } from '../../common/validation/parsed-by.js';
import {
  CALL_RESTRICT_UPDATES,
  parseAsrModelId,
  parseCallDisplayType,
  type CallRestrictUpdate,
} from '../../protocol/call-control.js';

/**
 * PATCH /v1/bindings/{id}: any of the changes Dyplsapi allows for AXB (UpdateSubscription's
 * OperateTypes), applied together as one change: parties (updateNoA / updateNoB), expiry
 * (updateExpire), restriction (updateCallRestrict), display type (updateCallDisplayType), order
 * id (updateOutId), recording and ASR (updateIsRecordingEnabled).
 */
export class UpdateBindingDto {
  @ApiPropertyOptional({ example: '13800000002' })
  @IsOptional()
  @IsSubscriberNumber()
  phoneA?: string;

  @ApiPropertyOptional({ example: '13900000002', description: 'New driver' })
  @IsOptional()
  @IsSubscriberNumber()
  phoneB?: string;

  @ApiPropertyOptional({ example: '2026-11-22T14:00:00Z' })
  @IsOptional()
  @IsApiDate()
  expiresAt?: string;

  @ApiPropertyOptional({ example: 7200 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  ttlSeconds?: number;

  @ApiPropertyOptional({
    enum: CALL_RESTRICT_UPDATES,
    description:
      'CONTROL_AX_DISABLE: A may not call X; CONTROL_BX_DISABLE: B may not; ' +
      'CONTROL_CLEAR_DISABLE: both may',
  })
  @IsOptional()
  @IsIn(CALL_RESTRICT_UPDATES, {
    message: `callRestrict must be one of ${CALL_RESTRICT_UPDATES.join(', ')}`,
  })
  callRestrict?: CallRestrictUpdate;

  @ApiPropertyOptional({ enum: [1] })
  @IsOptional()
  @ParsedBy(parseCallDisplayType)
  callDisplayType?: number;

  /** A new order id for the binding (updateOutId); no other live binding of the pool may hold it. */
  @ApiPropertyOptional({ example: 'trip-20261122-0002' })
  @IsOptional()
  @IsString()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId?: string;

  @ApiPropertyOptional({ description: 'Record calls (updateIsRecordingEnabled)' })
  @IsOptional()
  @IsBoolean()
  record?: boolean;

  @ApiPropertyOptional({ description: 'Transcribe recorded calls; needs recording' })
  @IsOptional()
  @IsBoolean()
  asrStatus?: boolean;

  @ApiPropertyOptional({ description: 'ASRModelId; needs asrStatus' })
  @IsOptional()
  @ParsedBy(parseAsrModelId)
  asrModelId?: string;
}
