import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** POST /v1/console/session: the admin key to exchange for a session cookie. */
export class SignInDto {
  @ApiProperty({ description: 'An API key with the admin role', example: 'axb_xxxxxxxx_…' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  apiKey!: string;
}
