import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, Matches } from 'class-validator';

/** POST /v1/pools/{poolKey}/numbers/register: numbers the account already holds at the provider. */
export class RegisterNumbersDto {
  @ApiProperty({ type: [String], example: ['13010000000'], minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(/^\d{5,20}$/, { each: true, message: 'each number must be 5-20 digits' })
  numbers!: string[];
}
