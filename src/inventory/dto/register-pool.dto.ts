import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

/** PUT /v1/pools/{poolKey}: register a provider pool (or change its city mode). */
export class RegisterPoolDto {
  /** ExpectCity never falls back to another city in this pool. */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  cityStrict?: boolean;
}
