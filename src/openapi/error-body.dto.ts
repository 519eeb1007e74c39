import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldProblemDto {
  @ApiProperty({ example: 'phoneB' }) field!: string;
  @ApiProperty({ type: [String] }) problems!: string[];
}

/** The one error shape every route answers with (see ErrorFilter). */
export class ErrorBodyDto {
  @ApiProperty({ example: 409 }) statusCode!: number;
  @ApiProperty({
    example: 'OUT_ID_CONFLICT',
    description: 'Stable machine-readable code (README: error codes)',
  })
  code!: string;
  @ApiProperty({ example: 'Order trip-1 is already bound with a different phoneB' })
  message!: string;
  @ApiProperty({ example: '7c1e…', description: 'Also in the x-request-id response header' })
  requestId!: string;
  @ApiPropertyOptional({ type: [FieldProblemDto], description: 'Every bad field of a 400' })
  fields?: FieldProblemDto[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'e.g. providerCode, providerRequestId, bindingId',
  })
  details?: Record<string, unknown>;
}
