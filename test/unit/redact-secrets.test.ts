import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedErrorBody } from '../../src/common/filters/error-body.js';
import {
  isSecretName,
  REDACTED,
  redactSecretsInText,
  redactUrl,
} from '../../src/common/privacy/redact-secrets.js';
import { maskDeep, maskUrl } from '../../src/logging/mask-log.js';

const KEY = 'axb_Ab12Cd34_s3cr3tS3cr3tS3cr3tS3cr3tS3cr3t0123';
const SECRET = 'cb-Secret-0f9e8d7c';

describe('the redaction policy', () => {
  it('names credentials by name, not by a word inside an id', () => {
    for (const name of [
      'key',
      'KEY',
      'apiKey',
      'api_key',
      'x-api-key',
      'secret',
      'CALLBACK_SECRET',
      'x-callback-secret',
      'AccessKeySecret',
      'AccessKeyId',
      'SecurityToken',
      'x-acs-security-token',
      'token',
      'access_token',
      'x-csrf-token',
      'Signature',
      'webhook-signature',
      'password',
      'authorization',
      'cookie',
      'set-cookie',
      'credentials',
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of [
      'poolKey',
      'secretNo',
      'secret_no',
      'PhoneNoX',
      'tokenExpiresAt',
      'SignatureNonce',
      'SignatureMethod',
      'keyName',
      'outId',
      'reqId',
      'url',
      'code',
    ])
      expect(isSecretName(name), name).toBe(false);
  });

  it('redacts secret query values of a URL and keeps the rest', () => {
    expect(redactUrl(`/v1/callbacks/call-records?key=${KEY}&secret=${SECRET}&x=1`)).toBe(
      `/v1/callbacks/call-records?key=${REDACTED}&secret=${REDACTED}&x=1`,
    );
    expect(redactUrl(`/a?%6Bey=${KEY}#frag`)).toBe(`/a?%6Bey=${REDACTED}#frag`);
    expect(redactUrl('/v1/bindings?outId=o-1')).toBe('/v1/bindings?outId=o-1');
  });

  it('redacts credentials quoted in free text', () => {
    const text = [
      `GET /v1/x?a=1&key=${KEY} failed`,
      `authorization: Bearer ${KEY}`,
      `CALLBACK_SECRET=${SECRET}`,
      `{"secret":"${SECRET}"}`,
      `key ${KEY} was revoked`,
      'Authorization: ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host,Signature=abc123',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ].join('\n');
    const out = redactSecretsInText(text);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('s3cr3t');
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('MfKQ9r8');
    // The key's prefix still says which key it was.
    expect(out).toContain('axb_Ab12Cd34_');
    expect(out).toContain('/v1/x?a=1&key=');
  });

  it('redacts each credential shape standing alone in a line (no other trigger beside it)', () => {
    // Each line holds one shape and nothing else a credential needs (no `=` or `:` but its own):
    // the quick test for "might quote a credential" must let every one through to be redacted.
    for (const [line, secret] of [
      [`Bearer ${KEY}`, SECRET],
      ['Basic dXNlcjpzM2NyM3Q', 'dXNlcjpzM2NyM3Q'],
      ['Digest dXNlcjpzM2NyM3Q', 'dXNlcjpzM2NyM3Q'],
      ['ACS3-HMAC-SHA256 Credential/LTAI/abc123', 'abc123'],
      [`key ${KEY} was revoked`, SECRET],
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'MfKQ9r8'],
      [`?token=${SECRET}`, SECRET],
      [`password: ${SECRET}`, SECRET],
    ] as const) {
      expect(redactSecretsInText(line), line).not.toContain(secret);
      expect(JSON.stringify(maskDeep({ msg: line })), line).not.toContain(secret);
    }
  });

  it('leaves ordinary text alone', () => {
    const text =
      'bind of order o-1 on pool FC100000000000001 failed: isv.BIND_CONFLICT (request 4f2a-1)';
    expect(redactSecretsInText(text)).toBe(text);
  });

  it('runs on every log record: fields by name, URLs and text by shape', () => {
    const line = maskDeep({
      reqId: 'req-7',
      url: `/v1/callbacks/number-health?key=${KEY}&secret=${SECRET}`,
      headers: { authorization: `Bearer ${KEY}`, 'x-callback-secret': SECRET, host: 'h' },
      config: { accessKeySecret: SECRET, poolKey: 'FC1' },
      msg: `refused ?secret=${SECRET}`,
    }) as Record<string, unknown>;
    const text = JSON.stringify(line);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('s3cr3t');
    expect(text).toContain('req-7');
    expect(text).toContain('FC1');
    expect(maskUrl(`/x?secret=${SECRET}&phone=13812345678`)).toBe(
      `/x?secret=${REDACTED}&phone=138****5678`,
    );
  });

  it('keeps credentials out of error bodies', () => {
    const body = boundedErrorBody({
      statusCode: 400,
      code: 'BAD_URL',
      message: `'/v1/x?key=${KEY}&%' is not a valid url component`,
      requestId: 'r',
      fields: [{ field: 'secret', problems: [`secret=${SECRET} is wrong`] }],
    });
    expect(JSON.stringify(body)).not.toContain('s3cr3t');
    expect(JSON.stringify(body)).not.toContain(SECRET);
  });

  it('never lets a secret query value through, whatever it holds (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('key', 'secret', 'token', 'signature', 'apiKey', 'SecurityToken'),
        fc.stringMatching(/^[A-Za-z0-9._~-]{6,40}$/),
        fc.string({ maxLength: 20 }),
        (name, tail, other) => {
          // A prefix no other parameter can hold, so any sight of the value is a leak.
          const value = `SeCrEt${tail}`;
          const url = `/p?a=${encodeURIComponent(other)}&${name}=${value}`;
          const logged = JSON.stringify(maskDeep({ url, msg: `calling ${url}` }));
          return !logged.includes(value);
        },
      ),
    );
  });
});
