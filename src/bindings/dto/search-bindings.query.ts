import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { OUT_ID_PATTERN } from './create-binding.dto.js';

export const BINDING_STATES = [
  'pending',
  'active',
  'unknown',
  'unbound',
  'expired',
  'failed',
] as const;

/** GET /v1/bindings: admin history search, newest first. */
export class SearchBindingsQuery {
  @IsOptional()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId?: string;

  /** Matches A or B. */
  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phone must be 5-20 digits' })
  phone?: string;

  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phoneX must be 5-20 digits' })
  phoneX?: string;

  @IsOptional()
  @IsIn(BINDING_STATES)
  state?: (typeof BINDING_STATES)[number];

  @IsOptional()
  @IsISO8601({ strict: true })
  createdFrom?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  createdTo?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
