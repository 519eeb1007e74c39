import {
  ValidationPipe,
  type ArgumentMetadata,
  type Type,
  type ValidationError,
} from '@nestjs/common';
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
 * A hand-written check of a DTO's commonest bodies: the instance the pipe would make of `body`,
 * or undefined, and the pipe checks it as usual (so every refusal, and every body the check does
 * not know, is the pipe's own). It must accept only what the DTO's decorators accept, and give
 * what the pipe would give.
 */
export type FastBody = (body: unknown) => object | undefined;

/** The global pipe, with the fast checks of some bodies (FastBody) before its own. */
class ApiValidationPipe extends ValidationPipe {
  constructor(
    options: ConstructorParameters<typeof ValidationPipe>[0],
    private readonly fastBodies: ReadonlyMap<Type<unknown>, FastBody>,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype !== undefined) {
      const accepted = this.fastBodies.get(metadata.metatype)?.(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata);
  }
}

/**
 * The global pipe: unknown fields are rejected, payloads become DTO instances, and a failure is
 * a 400 whose message names every bad field. `fastBodies`: DTOs whose commonest bodies are
 * checked by hand first (see FastBody).
 */
export function createValidationPipe(
  fastBodies: ReadonlyMap<Type<unknown>, FastBody> = new Map(),
): ValidationPipe {
  return new ApiValidationPipe(
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      exceptionFactory: (errors) => validationFailedFields(fieldProblems(errors)),
    },
    fastBodies,
  );
}
