/**
 * JSON whose integers may exceed 2^53 (Alibaba's SubsIds, sub_id in call records): parse it with
 * quoteLargeIntegers first and such numbers arrive as exact decimal strings.
 */

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Quotes integer literals too large for a double (SubsId-like ids), outside strings, so that
 * JSON.parse keeps every digit. Alibaba's own SDK parses with json-bigint for the same reason.
 */
export function quoteLargeIntegers(text: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i += 1;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      i += 1;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m) {
        const token = m[0];
        const isInteger = /^-?\d+$/.test(token);
        out += isInteger && !Number.isSafeInteger(Number(token)) ? `"${token}"` : token;
        i += token.length;
        continue;
      }
    }
    out += c;
    i += 1;
  }
  return out;
}

const BIG = '\u0000big:';

/**
 * JSON.stringify that writes BigInt values as plain JSON integers (Alibaba sends ids such as
 * sub_id as numbers even beyond 2^53; JSON.stringify alone throws on a BigInt).
 */
export function stringifyWithBigIntegers(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `${BIG}${v.toString()}` : v,
  ).replace(/"\\u0000big:(-?\d+)"/g, '$1');
}
