import {
  IsBoolean,
  IsISO8601,
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

export const OUT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const POOL_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** POST /v1/bindings: bind passenger A and driver B for one order. */
export class CreateBindingDto {
  /** The order id: 1–64 of letters, digits and `_ . : -`. */
  @IsString()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId!: string;

  @IsSubscriberNumber()
  phoneA!: string;

  @IsSubscriberNumber()
  phoneB!: string;

  /** When the binding ends (ISO-8601 with offset); or give ttlSeconds. */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(366 * 24 * 3600)
  ttlSeconds?: number;

  /** Preferred city of X. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  city?: string;

  /** Only an X of `city` will do (defaults to the pool's strict mode). */
  @IsOptional()
  @IsBoolean()
  cityStrict?: boolean;

  @IsOptional()
  @IsBoolean()
  record?: boolean;

  @IsOptional()
  @IsString()
  @Matches(POOL_KEY_PATTERN, { message: 'poolKey must be 1-64 characters of A-Z a-z 0-9 _ -' })
  poolKey?: string;

  /** Pin a specific middle number of the pool. */
  @IsOptional()
  @Matches(/^\d{5,20}$/, { message: 'phoneX must be 5-20 digits' })
  phoneX?: string;
}
