import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';
import { IsApiDate } from '../../common/validation/api-date.js';

/** PATCH /v1/bindings/{id}: change a party and/or the expiry. */
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
  @Max(366 * 24 * 3600)
  ttlSeconds?: number;
}
