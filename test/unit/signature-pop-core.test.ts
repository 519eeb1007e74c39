import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/protocol/signature.js';
import { DOCUMENTED_VECTOR } from '../support/rpc-signature-vector.js';

/**
 * Our signer against Alibaba's own: @alicloud/pop-core keeps normalize/canonicalize/encode private
 * inside lib/rpc.js, so the module's source is evaluated with those three exported, and its
 * signing step (kitx.sha1 over `METHOD&%2F&encode(canonical)`) is repeated verbatim. A second
 * check sends real RPCClient requests to a local server and verifies what arrives with `sign`.
 */
const require = createRequire(import.meta.url);
const rpcPath = require.resolve('@alicloud/pop-core/lib/rpc.js');
const rpcRequire = createRequire(rpcPath);
type Pair = [string, string];
const popCore = (() => {
  const source = readFileSync(rpcPath, 'utf8');
  const module = { exports: {} as Record<string, unknown> };
  const factory = new Function(
    'require',
    'module',
    'exports',
    `${source}\nmodule.exports = { normalize, canonicalize, encode, RPCClient };`,
  ) as (req: NodeRequire, mod: typeof module, exp: unknown) => void;
  factory(rpcRequire, module, module.exports);
  return module.exports as {
    normalize: (params: Record<string, string>) => Pair[];
    canonicalize: (normalized: Pair[]) => string;
    encode: (s: string) => string;
  };
})();
const kitx = rpcRequire('kitx') as { sha1: (data: string, key: string, enc: string) => string };
const RPCClient = rpcRequire('./rpc.js') as new (config: Record<string, string>) => {
  request(
    action: string,
    params: Record<string, string>,
    opts: Record<string, unknown>,
  ): Promise<unknown>;
};

function popCoreSign(method: string, params: Record<string, string>, secret: string): string {
  const canonical = popCore.canonicalize(popCore.normalize(params));
  const stringToSign = `${method}&${popCore.encode('/')}&${popCore.encode(canonical)}`;
  return kitx.sha1(stringToSign, `${secret}&`, 'base64');
}

/** Deterministic PRNG (mulberry32) so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'abcxyzABCXYZ0189',
  ...' !\'()*~-_.&=+/%?#:;,@$[]"<>\\^`{|}',
  '中',
  '文',
  '阿',
  '里',
  'é',
  'ß',
  'ж',
  '😀',
  '🚗',
  '\u00a0',
  '\t',
  '\n',
];

function randomString(rand: () => number, min: number, max: number): string {
  const length = min + Math.floor(rand() * (max - min + 1));
  let s = '';
  for (let i = 0; i < length; i += 1) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

function randomParams(rand: () => number): Record<string, string> {
  const params: Record<string, string> = {};
  const count = 1 + Math.floor(rand() * 12);
  for (let i = 0; i < count; i += 1) {
    const key = randomString(rand, 1, 8);
    if (key === 'Signature') continue;
    params[key] = rand() < 0.15 ? '' : randomString(rand, 0, 24);
  }
  return params;
}

describe('our signer against @alicloud/pop-core', () => {
  it('reproduces pop-core on the documented vector', () => {
    const { params, secret, signature } = DOCUMENTED_VECTOR;
    expect(popCoreSign('GET', { ...params }, secret)).toBe(signature);
  });

  it('signs 200 random parameter sets exactly as pop-core does (GET and POST)', () => {
    const rand = prng(20261122);
    for (let i = 0; i < 200; i += 1) {
      const params = randomParams(rand);
      const secret = randomString(rand, 1, 30);
      const method = i % 2 === 0 ? 'GET' : 'POST';
      expect(sign(method, params, secret), `case ${i}: ${JSON.stringify(params)}`).toBe(
        popCoreSign(method, params, secret),
      );
    }
  });

  describe('real RPCClient requests', () => {
    const secret = 'pop-core-secret';
    const received: { method: string; params: Record<string, string> }[] = [];
    let server: Server;
    let endpoint = '';

    const readBody = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => resolve(body));
      });

    beforeAll(async () => {
      server = createServer((req, res) => {
        void readBody(req).then((body) => {
          const query = new URL(req.url ?? '/', 'http://x').searchParams;
          const params = Object.fromEntries([...query, ...new URLSearchParams(body)]);
          received.push({ method: req.method ?? '', params });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ Code: 'OK', Message: 'OK', RequestId: 'r' }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('verifies what pop-core actually sends, 40 random sets', async () => {
      const client = new RPCClient({
        accessKeyId: 'pop-key',
        accessKeySecret: secret,
        endpoint,
        apiVersion: '2017-05-25',
      });
      const rand = prng(7);
      for (let i = 0; i < 40; i += 1) {
        const method = i % 2 === 0 ? 'GET' : 'POST';
        await client.request('QueryCallStatus', randomParams(rand), {
          method,
          formatParams: false,
        });
      }
      expect(received).toHaveLength(40);
      for (const { method, params } of received) {
        const { Signature: signature, ...unsigned } = params;
        expect(sign(method, unsigned, secret), JSON.stringify(params)).toBe(signature);
      }
    });
  });
});
