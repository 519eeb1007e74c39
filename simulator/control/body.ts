/** Small validators for control API bodies; a failure becomes a 400 naming the field. */

export class ControlError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type Body = Record<string, unknown>;

export function asBody(value: unknown): Body {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ControlError(400, 'body must be a JSON object');
  }
  return value as Body;
}

export function optionalString(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new ControlError(400, `${name} must be a non-empty string`);
  }
  return value;
}

export function requiredString(body: Body, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined) throw new ControlError(400, `${name} is required`);
  return value;
}

export function optionalInteger(body: Body, name: string, min: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ControlError(400, `${name} must be an integer >= ${min}`);
  }
  return value;
}

export function optionalBoolean(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ControlError(400, `${name} must be true or false`);
  return value;
}

export function optionalStrings(body: Body, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new ControlError(400, `${name} must be a list of non-empty strings`);
  }
  return value as string[];
}

export function oneOf<T extends string>(body: Body, name: string, allowed: readonly T[]): T {
  const value = body[name];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ControlError(400, `${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
