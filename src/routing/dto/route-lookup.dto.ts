import { IsOptional, IsUUID, Matches } from 'class-validator';
import { OUT_ID_PATTERN, POOL_KEY_PATTERN } from '../../bindings/dto/create-binding.dto.js';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';

/** POST /v1/routing/lookup: which number should this caller dial for this binding? */
export class RouteLookupDto {
  /** The binding by our id; or give outId. */
  @IsOptional()
  @IsUUID('all', { message: 'bindingId must be a UUID' })
  bindingId?: string;

  /** The binding by its order id (the live one, else the latest of the order). */
  @IsOptional()
  @Matches(OUT_ID_PATTERN, { message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  outId?: string;

  /** With outId only; defaults to DEFAULT_POOL_KEY. */
  @IsOptional()
  @Matches(POOL_KEY_PATTERN, { message: 'poolKey must be 1-64 characters of A-Z a-z 0-9 _ -' })
  poolKey?: string;

  /** The number of the person placing the call: A or B of the binding. */
  @IsSubscriberNumber()
  callerNo!: string;
}
