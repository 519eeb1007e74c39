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
      return new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: `Invalid ${fields.map((f) => f.field).join(', ')}: ${fields
          .map((f) => f.problems.join('; '))
          .join('; ')}`,
        fields,
      });
    },
  });
}
