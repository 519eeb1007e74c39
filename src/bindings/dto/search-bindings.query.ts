import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OUT_ID_PATTERN } from './create-binding.dto.js';
import { IsApiDate } from '../../common/validation/api-date.js';

export const BINDING_STATES = [
  'pending',
  'active',
  'unknown',
  'unbinding',
  'unbound',
  'expired',
  'failed',
] as const;

export const BINDING_READ_VIEWS = ['full', 'masked'] as const;
export type BindingReadView = (typeof BINDING_READ_VIEWS)[number];

/**
 * `view` of the admin reads: `full` (the default) returns A and B in full and records the read
 * in access_log; `masked` returns them masked (138****5678) and records nothing.
 */
export class BindingReadQuery {
  @ApiPropertyOptional({
    enum: BINDING_READ_VIEWS,
    default: 'full',
    description:
      'full: numbers in full, the read is recorded; masked: A and B masked, not recorded',
  })
  @IsOptional()
  @IsIn(BINDING_READ_VIEWS)
  view?: BindingReadView;
}

/** GET /v1/bindings: admin history search, newest first. */
export class SearchBindingsQuery extends BindingReadQuery {
  @ApiPropertyOptional({})
  @IsOptional()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId?: string;

  /** Matches A or B. */
  @ApiPropertyOptional({ description: 'Matches A or B' })
  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phone must be 5-20 digits' })
  phone?: string;

  @ApiPropertyOptional({})
  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phoneX must be 5-20 digits' })
  phoneX?: string;

  @ApiPropertyOptional({ enum: BINDING_STATES })
  @IsOptional()
  @IsIn(BINDING_STATES)
  state?: (typeof BINDING_STATES)[number];

  @ApiPropertyOptional({ description: 'RFC 3339 date-time, inclusive' })
  @IsOptional()
  @IsApiDate()
  createdFrom?: string;

  @ApiPropertyOptional({ description: 'RFC 3339 date-time, exclusive' })
  @IsOptional()
  @IsApiDate()
  createdTo?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
