import { ApiProperty } from '@nestjs/swagger';
import { IsSubscriberNumber } from '../../common/validation/is-subscriber-number.js';

/** POST /v1/admin/erasures: the number whose ended records are erased. */
export class ErasureRequestDto {
  @ApiProperty({ example: '13800000001', description: 'The full number (A, B, caller or callee)' })
  @IsSubscriberNumber()
  phone!: string;
}
