import { Injectable, type PipeTransform } from '@nestjs/common';
import { validationFailed } from '../common/validation/validation-failed.js';

function patternPipe(
  field: string,
  pattern: RegExp,
  problem: string,
): new () => PipeTransform<string, string> {
  @Injectable()
  class PatternPipe implements PipeTransform<string, string> {
    transform(value: string): string {
      if (!pattern.test(value)) throw validationFailed(field, problem);
      return value;
    }
  }
  return PatternPipe;
}

/** Path parameters of the inventory routes, validated like body fields. */
export const PoolKeyPipe = patternPipe(
  'poolKey',
  /^[A-Za-z0-9_-]{1,64}$/,
  'must be 1-64 characters of A-Z a-z 0-9 _ -',
);
export const SecretNumberPipe = patternPipe('number', /^\d{5,20}$/, 'must be 5-20 digits');
