import { BadRequestException } from '@nestjs/common';

/**
 * The 400 VALIDATION_FAILED for one field, shaped like the global validation pipe's: for checks
 * a DTO decorator cannot make (a pair of fields, a path parameter, a cursor).
 */
export function validationFailed(field: string, problem: string): BadRequestException {
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${field}: ${problem}`,
    fields: [{ field, problems: [problem] }],
  });
}
