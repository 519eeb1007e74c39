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
  @IsInt()
  @IsIn([1, 2, 3])
  spec!: 1 | 2 | 3;

  /** For spec 3 the provider expects "全国通用". */
  @IsString()
  @IsNotEmpty()
  @MaxLength(32)
  city!: string;

  @IsOptional()
  @Matches(/^\d{1,11}$/, { message: 'prefix must be 1-11 digits' })
  prefix?: string;

  @IsInt()
  @Min(1)
  @Max(100)
  count!: number;
}
