import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';
import { IsApiDate } from '../../common/validation/api-date.js';

export const OUT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const POOL_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** POST /v1/bindings: bind passenger A and driver B for one order. */
export class CreateBindingDto {
  /** The order id: 1–64 of letters, digits and `_ . : -`. */
  @ApiProperty({ example: 'trip-20261122-0001', pattern: '^[A-Za-z0-9_.:-]{1,64}$' })
  @IsString()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId!: string;

  @ApiProperty({
    example: '13800000001',
    description: 'Passenger: mainland mobile or fixed line with area code',
  })
  @IsSubscriberNumber()
  phoneA!: string;

  @ApiProperty({ example: '13900000001', description: 'Driver' })
  @IsSubscriberNumber()
  phoneB!: string;

  /** When the binding ends (RFC 3339 date-time); or give ttlSeconds. */
  @ApiPropertyOptional({
    example: '2026-11-22T12:00:00Z',
    description: 'RFC 3339 date-time (Z or ±hh:mm); or ttlSeconds',
  })
  @IsOptional()
  @IsApiDate()
  expiresAt?: string;

  @ApiPropertyOptional({ example: 3600, description: 'Seconds from now; or expiresAt' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(366 * 24 * 3600)
  ttlSeconds?: number;

  /** Preferred city of X. */
  @ApiPropertyOptional({ example: '杭州' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  city?: string;

  /** Only an X of `city` will do (defaults to the pool's strict mode). */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  cityStrict?: boolean;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  record?: boolean;

  @ApiPropertyOptional({ example: 'FC100000000000001', description: 'Default: DEFAULT_POOL_KEY' })
  @IsOptional()
  @IsString()
  @Matches(POOL_KEY_PATTERN, { message: 'poolKey must be 1-64 characters of A-Z a-z 0-9 _ -' })
  poolKey?: string;

  /** Pin a specific middle number of the pool. */
  @ApiPropertyOptional({ example: '13010000000' })
  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phoneX must be 5-20 digits' })
  phoneX?: string;
}
