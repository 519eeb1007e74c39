import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Longest contact window: 7 days. */
export const MAX_CONTACT_WINDOW_SECONDS = 7 * 24 * 3600;

/** POST /v1/bindings/{id}/end-trip. */
export class EndTripDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_CONTACT_WINDOW_SECONDS,
    example: 3600,
    description:
      'How long the passenger (A) may still reach the driver (B) after drop-off, seconds; ' +
      '0 unbinds now; default END_TRIP_CONTACT_WINDOW_SECONDS',
  })
  @IsOptional()
  @IsInt({ message: 'contactWindowSeconds must be a whole number of seconds' })
  @Min(0, { message: 'contactWindowSeconds must be from 0 to 604800' })
  @Max(MAX_CONTACT_WINDOW_SECONDS, { message: 'contactWindowSeconds must be from 0 to 604800' })
  contactWindowSeconds?: number;
}
