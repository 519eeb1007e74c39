/**
 * A Postgres array literal of values that need no quoting (uuids, numbers, times, the delivery
 * statuses): `{a,b,NULL}`, a Date as its ISO string. pg quotes and escapes every element of an
 * array parameter with two regular expressions (a Date after its own slow formatting), and the
 * delivery machinery's parameters are such arrays of a row per delivery.
 */
export function plainArray(
  values: ReadonlyArray<string | number | Date | null | undefined>,
): string {
  let literal = '{';
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (i > 0) literal += ',';
    literal += v == null ? 'NULL' : v instanceof Date ? v.toISOString() : String(v);
  }
  return `${literal}}`;
}
