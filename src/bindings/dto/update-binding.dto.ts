import { IsISO8601, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';

/** PATCH /v1/bindings/{id}: change a party and/or the expiry. */
export class UpdateBindingDto {
  @IsOptional()
  @IsSubscriberNumber()
  phoneA?: string;

  @IsOptional()
  @IsSubscriberNumber()
  phoneB?: string;

  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  expiresAt?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(366 * 24 * 3600)
  ttlSeconds?: number;
}
