import { BadRequestException } from '@nestjs/common';

/** One bad field and what is wrong with it. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** How many fields the message names; `fields` lists them all (bounded by the error filter). */
const NAMED_IN_MESSAGE = 10;

/**
 * The one 400 VALIDATION_FAILED of the API: `fields` names every bad field, the message the first
 * few. The global validation pipe, hand-checked bodies (the routing lookup) and checks a DTO
 * decorator cannot make (a pair of fields, a path parameter, a cursor) all build it here.
 */
export function validationFailedFields(fields: FieldProblem[]): BadRequestException {
  const shown = fields.slice(0, NAMED_IN_MESSAGE);
  const more = fields.length > shown.length ? ` (and ${fields.length - shown.length} more)` : '';
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${shown.map((f) => f.field).join(', ')}${more}: ${shown
      .map((f) => f.problems.join('; '))
      .join('; ')}`,
    fields,
  });
}

/** VALIDATION_FAILED for one field. */
export function validationFailed(field: string, problem: string): BadRequestException {
  return validationFailedFields([{ field, problems: [problem] }]);
}
