import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

export interface FieldProblem {
  field: string;
  problems: string[];
}

/** Flattens nested validation errors into `a.b.c` paths. */
export function fieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...fieldProblems(e.children ?? [], field)];
  });
}

/**
 * The global pipe: unknown fields are rejected, payloads become DTO instances, and a failure is
 * a 400 whose message names every bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = fieldProblems(errors);
      // The message names the first few; `fields` lists them all (bounded by the error filter).
      const shown = fields.slice(0, 10);
      return new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: `Invalid ${shown.map((f) => f.field).join(', ')}${fields.length > shown.length ? ` (and ${fields.length - shown.length} more)` : ''}: ${shown
          .map((f) => f.problems.join('; '))
          .join('; ')}`,
        fields,
      });
    },
  });
}
