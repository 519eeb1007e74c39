import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acs3Authorization,
  parseAcs3Authorization,
  sha256Hex,
} from '../../src/protocol/acs3-signature.js';
import { prepareRequest } from '../../src/provider/dyplsapi/dyplsapi-request.builder.js';
import type { DyplsapiAction } from '../../src/provider/dyplsapi/dyplsapi-actions.js';
import { openApiCaller } from '../support/openapi-client.js';

const require = createRequire(import.meta.url);
const OpenApiUtil = (
  require('@alicloud/openapi-util') as {
    default: {
      getAuthorization(
        request: {
          pathname: string;
          method: string;
          query: Record<string, string>;
          headers: Record<string, string>;
        },
        algorithm: string,
        payloadHash: string,
        accessKeyId: string,
        accessKeySecret: string,
      ): string;
    };
  }
).default;

const ROUNDS = 300;

/** A small deterministic generator, so a failure names a reproducible round. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick };
}

const NAMES = [
  'PoolKey',
  'PhoneNoA',
  'PhoneNoB',
  'PhoneNoX',
  'Expiration',
  'City',
  'SpecId',
  'OutId',
  'RemainDTOList.1.City',
  'a_b-c~d',
  'Z9',
];
const PIECES = ['1380013', ' ', '杭州', "*'()!", '~', '+', '/', '%20', '&=', '😀', 'ü', '', 'x'];
const ACTIONS = ['BindAxb', 'QuerySubsId', 'QueryCallStatus', 'QuerySecretNoRemain'];

function randomParams(g: ReturnType<typeof generator>): Record<string, string> {
  const params: Record<string, string> = {};
  const count = 1 + Math.floor(g.next() * 6);
  for (let i = 0; i < count; i += 1) {
    let value = '';
    const length = Math.floor(g.next() * 5);
    for (let j = 0; j < length; j += 1) value += g.pick(PIECES);
    params[g.pick(NAMES)] = value;
  }
  return params;
}

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const captured: Captured[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    captured.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    res.setHeader('content-type', 'application/json');
    res.end('{"Code":"OK","Message":"OK","RequestId":"r"}');
  });
});
let endpoint = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const flat = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('our V3 signer against @alicloud/openapi-client (ACS3-HMAC-SHA256)', () => {
  it(`signs exactly as openapi-client does, for ${ROUNDS} random requests of its own`, async () => {
    const g = generator(20261122);
    const secret = 'secret-for-signing';
    const client = openApiCaller(endpoint, { accessKeyId: 'AKID', accessKeySecret: secret });
    for (let round = 0; round < ROUNDS; round += 1) {
      captured.length = 0;
      const params = randomParams(g);
      await client.call(g.pick(ACTIONS), params, { inBody: g.next() < 0.5 });
      const request = captured[0]!;
      const url = new URL(request.url, endpoint);
      const mine = acs3Authorization(
        {
          method: request.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: flat(request.headers),
          payloadHash: sha256Hex(request.body),
        },
        'AKID',
        secret,
      );
      expect(request.headers['x-acs-content-sha256'], `round ${round}`).toBe(
        sha256Hex(request.body),
      );
      expect(mine, `round ${round}: ${JSON.stringify(params)}`).toBe(request.headers.authorization);
    }
  });

  it(`builds requests whose headers and signature openapi-util's signer reproduces, ${ROUNDS} times`, () => {
    const g = generator(7);
    for (let round = 0; round < ROUNDS; round += 1) {
      const params = randomParams(g);
      const method = g.pick(['GET', 'POST'] as const);
      const prepared = prepareRequest({
        scheme: 'v3',
        method,
        host: 'dyplsapi.aliyuncs.com',
        path: '/',
        action: g.pick(ACTIONS) as DyplsapiAction,
        params,
        accessKeyId: 'AKID',
        accessKeySecret: 'k',
        regionId: 'cn-hangzhou',
        nonce: `nonce-${round}`,
        now: new Date(Date.UTC(2026, 10, 22, 12, 0, round % 60)),
        paramsIn: g.pick(['body', 'query'] as const),
      });
      const url = new URL(prepared.path, 'https://dyplsapi.aliyuncs.com');
      const query = Object.fromEntries(url.searchParams);
      expect(prepared.headers['x-acs-content-sha256']).toBe(sha256Hex(prepared.body ?? ''));
      const { authorization, ...headers } = prepared.headers;
      const theirs = OpenApiUtil.getAuthorization(
        { pathname: url.pathname, method, query, headers },
        'ACS3-HMAC-SHA256',
        prepared.headers['x-acs-content-sha256']!,
        'AKID',
        'k',
      );
      expect(authorization, `round ${round}: ${JSON.stringify(params)}`).toBe(theirs);
      expect(prepared.headers['x-acs-date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // The parameters travel intact whichever way they go.
      const sent = { ...query, ...Object.fromEntries(new URLSearchParams(prepared.body ?? '')) };
      expect(sent).toEqual(params);
    }
  });

  it('reads its own Authorization header back', () => {
    expect(
      parseAcs3Authorization(
        'ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=ab',
      ),
    ).toEqual({ accessKeyId: 'id', signedHeaders: ['host', 'x-acs-date'], signature: 'ab' });
    expect(parseAcs3Authorization('ACS3-HMAC-SHA256 Credential=id')).toBeUndefined();
    expect(parseAcs3Authorization('MNS id:sig')).toBeUndefined();
  });
});
