import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isSubscriberNumber } from '../../protocol/phone-number.js';

/** A mainland mobile (11 digits) or a fixed line with its area code, no separators. */
export function IsSubscriberNumber(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSubscriberNumber',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isSubscriberNumber(value),
        defaultMessage: (args) =>
          `${args?.property} must be a mainland mobile (11 digits) or a fixed line with area code, digits only`,
      },
    },
    options,
  );
}
