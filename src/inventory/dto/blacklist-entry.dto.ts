import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';
import { BLACKLIST_DIRECTIONS, type BlacklistDirection } from '../blacklist-direction.js';

/** Which entry: the blocked number, and for a point-to-point entry the other one. */
export class BlacklistEntryRefDto {
  @ApiProperty({ example: '13900000001', description: 'The number blocked' })
  @IsSubscriberNumber()
  phone!: string;

  @ApiPropertyOptional({
    example: '13800000001',
    description: 'Block only between phone and this number (point-to-point); else pool-wide',
  })
  @IsOptional()
  @IsSubscriberNumber()
  peerPhone?: string;
}

/** POST /v1/pools/{poolKey}/blacklist. */
export class AddBlacklistEntryDto extends BlacklistEntryRefDto {
  @ApiProperty({
    enum: BLACKLIST_DIRECTIONS,
    description:
      "From phone's side: outgoing (phone may not call: the peer, or without one the pool's " +
      'numbers), incoming (the peer may not call phone), both',
  })
  @IsIn(BLACKLIST_DIRECTIONS, {
    message: `direction must be one of ${BLACKLIST_DIRECTIONS.join(', ')}`,
  })
  direction!: BlacklistDirection;

  @ApiPropertyOptional({ example: 'harassment report #1234', maxLength: 128 })
  @IsOptional()
  @IsString()
  @Matches(/^\P{Cc}{1,128}$/u, {
    message: 'remark must be 1-128 characters without control characters',
  })
  remark?: string;
}
