import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { validationFailedFields, type FieldProblem } from './validation-failed.js';

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
    exceptionFactory: (errors) => validationFailedFields(fieldProblems(errors)),
  });
}
