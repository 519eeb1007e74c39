import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepth, parseJsonBody } from '../../src/common/http/json-body-policy.js';

const policy = { maxDepth: 8 };
const parse = (text: string, rawStrings = false) =>
  parseJsonBody(Buffer.from(text), policy, { bodyPolicy: { rawStrings } });
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (
      error as { getResponse(): { code: string; fields?: Array<{ field: string }> } }
    ).getResponse();
  }
  throw new Error('did not throw');
};

describe('JSON body policy', () => {
  it('treats an empty or blank body as no body', () => {
    expect(parse('')).toBeUndefined();
    expect(parse(' \r\n')).toBeUndefined();
  });

  it('measures depth outside strings only', () => {
    expect(jsonDepth('{"a":"[[[[[[[[[[[[","b":[1,{"c":[]}]}', 100)).toBe(4);
    expect(jsonDepth('"\\"[[["', 100)).toBe(0);
    expect(jsonDepth('[[[[[[', 3)).toBe(4); // stops counting past the limit
  });

  it('refuses nesting past the limit without recursion, whatever the depth', () => {
    for (const depth of [9, 100, 100_000])
      expect(failure(() => parse('['.repeat(depth) + ']'.repeat(depth))).code).toBe(
        'BODY_TOO_DEEP',
      );
    expect(parse('[[[[[[[[1]]]]]]]]')).toEqual([[[[[[[[1]]]]]]]]);
  });

  it('names the field holding NUL or a lone surrogate, unless the route takes raw strings', () => {
    expect(failure(() => parse('{"a":{"b":["x","\\u0000"]}}')).fields).toEqual([
      { field: 'a.b[1]', problems: ['must not contain NUL (\\u0000)'] },
    ]);
    expect(failure(() => parse('{"a":"\\ud83d"}')).fields?.[0]?.field).toBe('a');
    expect(failure(() => parse('{"a":"\\ude00x"}')).fields?.[0]?.field).toBe('a');
    expect(parse('{"a":"\\ud83d\\ude00"}')).toEqual({ a: '😀' });
    expect(parse('{"a":"\\u0000"}', true)).toEqual({ a: '\u0000' });
  });

  it('refuses Object.prototype member names at any depth, raw strings or not', () => {
    for (const name of Object.getOwnPropertyNames(Object.prototype)) {
      const fields = failure(() => parse(`[{"ok":{"${name}":1}}]`, true)).fields;
      expect(fields?.[0]?.field).toBe(`[0].ok.${name}`);
    }
  });

  it('refuses invalid UTF-8 and invalid JSON as INVALID_JSON', () => {
    expect(failure(() => parseJsonBody(Buffer.from([0x22, 0xc3, 0x28, 0x22]), policy)).code).toBe(
      'INVALID_JSON',
    );
    expect(failure(() => parse('{"a":')).code).toBe('INVALID_JSON');
  });

  it('checks plain ASCII bodies (no escape: the fast path) as strictly as any other', () => {
    // A raw control character in a string is not JSON, NUL included.
    expect(failure(() => parseJsonBody(Buffer.from('{"a":"x\u0000"}'), policy)).code).toBe(
      'INVALID_JSON',
    );
    expect(failure(() => parse('{"ok":[{"constructor":1}]}')).fields).toEqual([
      {
        field: 'ok[0].constructor',
        problems: ['is a reserved name (Object.prototype) and not a field'],
      },
    ]);
    expect(failure(() => parse('[1,{"a":{"__proto__":{}}}]')).fields?.[0]?.field).toBe(
      '[1].a.__proto__',
    );
    // The same NUL escaped (a backslash: the full check) is named as before.
    expect(failure(() => parse('{"a":"x\\u0000"}')).fields?.[0]?.field).toBe('a');
    expect(parse('{"a":"x","b":[1,null,{"c":true}]}')).toEqual({
      a: 'x',
      b: [1, null, { c: true }],
    });
    expect(parse('  7 ')).toBe(7);
  });

  it('accepts any JSON value within the limits and returns it unchanged (property)', () => {
    const safeKey = fc
      .string()
      .filter((k) => !Object.getOwnPropertyNames(Object.prototype).includes(k));
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.boolean(), fc.constant(null)),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(safeKey, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const text = JSON.stringify(v);
        if (jsonDepth(text, 100) > policy.maxDepth) return;
        expect(parse(text)).toEqual(v);
      }),
    );
  });

  it('decides a plain ASCII body (the one-pass scan) as the text path does: depth, blank, JSON (property)', () => {
    // Texts of JSON's structural characters, quotes, whitespace and letters, valid or not: the
    // answer is what jsonDepth and JSON.parse on the text say.
    const text = fc
      .array(fc.constantFrom('[', ']', '{', '}', '"', ':', ',', ' ', '\t', '\n', '\r', '1', 'a'), {
        maxLength: 40,
      })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 6 }), (t, maxDepth) => {
        const outcome = (fn: () => unknown) => {
          try {
            return { value: fn() as unknown };
          } catch (error) {
            return { code: (error as { getResponse(): { code: string } }).getResponse().code };
          }
        };
        const got = outcome(() => parseJsonBody(Buffer.from(t), { maxDepth }));
        const expected = outcome(() => {
          if (t.trim() === '') return undefined;
          if (jsonDepth(t, maxDepth) > maxDepth) throw failureOf('BODY_TOO_DEEP');
          try {
            return JSON.parse(t) as unknown;
          } catch {
            throw failureOf('INVALID_JSON');
          }
        });
        expect(got).toEqual(expected);
      }),
    );
  });
});

const failureOf = (code: string) => ({ getResponse: () => ({ code }) });
