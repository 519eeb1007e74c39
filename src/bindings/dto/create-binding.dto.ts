import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
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
import { ParsedBy } from '../../common/validation/parsed-by.js';
import {
  CALL_RESTRICTS,
  CALL_TIMEOUT_SECONDS,
  parseAsrModelId,
  parseCallDisplayType,
  parseCallTimeout,
  parseDtmfConfig,
  parseRingConfig,
  type CallRestrict,
  type DtmfConfig,
  type RingConfig,
} from '../../protocol/call-control.js';

export const OUT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const POOL_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const PHONE_X_PATTERN = /^\d{5,20}$/;
/** The longest ttlSeconds a bind or an update may ask for (a year and a day). */
export const MAX_TTL_SECONDS = 366 * 24 * 3600;
/** The longest city name a bind may ask for, in characters. */
export const CITY_MAX_LENGTH = 32;

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
  @Max(MAX_TTL_SECONDS)
  ttlSeconds?: number;

  /** Preferred city of X. */
  @ApiPropertyOptional({ example: '杭州' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(CITY_MAX_LENGTH)
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
  @Matches(PHONE_X_PATTERN, { message: 'phoneX must be 5-20 digits' })
  phoneX?: string;

  // ─── call control (BindAxb's other parameters; validated by the protocol's shared parsers) ───

  /** OutOrderId: the order service's own business id, kept with the binding. */
  @ApiPropertyOptional({ example: 'ORD-20261122-0001', pattern: '^[A-Za-z0-9_.:-]{1,64}$' })
  @IsOptional()
  @IsString()
  @Matches(OUT_ID_PATTERN, {
    message: 'outOrderId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
  })
  outOrderId?: string;

  /** One direction may not call X from the start (A = passenger, B = driver). */
  @ApiPropertyOptional({ enum: CALL_RESTRICTS, description: 'AX: A may not call; BX: B may not' })
  @IsOptional()
  @IsIn(CALL_RESTRICTS, { message: `callRestrict must be one of ${CALL_RESTRICTS.join(', ')}` })
  callRestrict?: CallRestrict;

  @ApiPropertyOptional({ enum: [1], description: 'CallDisplayType: 1, X shown on both phones' })
  @IsOptional()
  @ParsedBy(parseCallDisplayType)
  callDisplayType?: number;

  @ApiPropertyOptional({
    minimum: CALL_TIMEOUT_SECONDS.min,
    maximum: CALL_TIMEOUT_SECONDS.max,
    description: 'CallTimeout: longest ring per number in sequential ringing, seconds',
  })
  @IsOptional()
  @ParsedBy(parseCallTimeout)
  callTimeout?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { AXBRing_A: '100000001' },
    description: 'RingConfig: ring-back tone codes, AXBRing_A and/or AXBRing_B',
  })
  @IsOptional()
  @ParsedBy(parseRingConfig)
  ringConfig?: RingConfig;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { step1File: 'menu.wav', validKey: '1', endCallIvrPhoneNo: 'B' },
    description:
      'DtmfConfig: step1File and validKey required; endCallIvrPhoneNo A|B, waitingDtmfTime ≤ 30, ' +
      'maxLoop ≤ 5, step2File, waitingEndCall ≤ 10',
  })
  @IsOptional()
  @ParsedBy(parseDtmfConfig)
  dtmfConfig?: DtmfConfig;

  /** ASRStatus: transcribe recorded calls (needs record: true). */
  @ApiPropertyOptional({ default: false, description: 'Transcribe recorded calls; needs record' })
  @IsOptional()
  @IsBoolean()
  asrStatus?: boolean;

  @ApiPropertyOptional({ example: '7ee372834d2f4cc7ac0d0ab2d0ae1aac', description: 'ASRModelId' })
  @IsOptional()
  @ParsedBy(parseAsrModelId)
  asrModelId?: string;
}
