import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
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

/** POST /v1/pools/{poolKey}/numbers: buy middle numbers from the provider. */
export class BuyNumbersDto {
  /** 1 = 170/171 virtual operator, 2 = carrier number, 3 = 95 number. */
  @ApiProperty({ enum: [1, 2, 3], description: '1 = 170/171, 2 = carrier, 3 = 95 numbers' })
  @IsInt()
  @IsIn([1, 2, 3])
  spec!: 1 | 2 | 3;

  /** For spec 3 the provider expects "全国通用". */
  @ApiProperty({ example: '杭州' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  city!: string;

  @ApiPropertyOptional({ example: '138' })
  @IsOptional()
  @Matches(/^\d{1,11}$/, { message: 'prefix must be 1-11 digits' })
  prefix?: string;

  @ApiProperty({ minimum: 1, maximum: 100, example: 5 })
  @IsInt()
  @Min(1)
  @Max(100)
  count!: number;
}
