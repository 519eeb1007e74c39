import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { Checked } from '../../protocol/call-control.js';

/**
 * A DTO field checked by one of the protocol's shared parsers (src/protocol: the simulator refuses
 * the same values with the same reasons): the 400 names the field, then the parser's reason.
 */
export function ParsedBy(
  parse: (value: unknown) => Checked<unknown>,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: `parsedBy${parse.name}`,
      validator: {
        validate: (value: unknown) => parse(value).ok,
        defaultMessage: (args) => {
          const checked = parse(args?.value);
          return `${args?.property} ${checked.ok ? 'is invalid' : checked.reason}`;
        },
      },
    },
    options,
  );
}
