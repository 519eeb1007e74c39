import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  acs3Signature,
  parseAcs3Authorization,
  sha256Hex,
} from '../../../src/protocol/acs3-signature.js';
import { sign } from '../../../src/protocol/signature.js';

/** One request as the stub received it. */
export interface StubRequest {
  method: string;
  action: string;
  params: Record<string, string>;
  signatureOk: boolean;
  scheme: 'v3' | 'rpc';
  /** SignatureNonce or x-acs-signature-nonce. */
  nonce: string;
  /** AccessKeyId parameter or the V3 Credential. */
  accessKeyId: string;
  headers: Record<string, string>;
}

export type StubReply =
  | { json: unknown; status?: number }
  | { raw: string; status: number; contentType?: string }
  /** Destroy the socket after reading the request: the client sees a reset. */
  | 'reset'
  /** Never answer; the socket stays open until the client gives up or the stub closes. */
  | 'hang';

export type StubHandler = (req: StubRequest) => StubReply;

export interface DyplsapiStub {
  url: string;
  requests: StubRequest[];
  /** Replaces the handler; the default answers every action with OK and a DTO. */
  handle(handler: StubHandler): void;
  /** Answers these replies in order for the next requests, then falls back to OK. */
  script(...replies: StubReply[]): void;
  count(action?: string): number;
  /** Forgets requests, scripted replies and any custom handler. */
  reset(): void;
  close(): Promise<void>;
}

export const ok = (extra: Record<string, unknown> = {}) => ({
  json: { Code: 'OK', Message: 'OK', RequestId: randomUUID(), ...extra },
});

export const codeError = (code: string, message = code, status = 400) => ({
  json: { Code: code, Message: message, RequestId: `req-${code}` },
  status,
});

/** A well-formed OK answer for each action. */
export function okFor(req: StubRequest): StubReply {
  switch (req.action) {
    case 'BindAxb':
      return ok({
        SecretBindDTO: { SubsId: '1000000000000001', SecretNo: '17100000001', Extension: '130' },
      });
    case 'QuerySubscriptionDetail':
      return ok({
        SecretBindDetailDTO: {
          SubsId: req.params.SubsId,
          PhoneNoA: '13800000001',
          PhoneNoB: '13900000002',
          PhoneNoX: req.params.PhoneNoX,
          GmtCreate: '2026-11-22 12:00:00',
          ExpireDate: '2026-11-22 14:30:00',
          NeedRecord: true,
          Status: 1,
          CallRestrict: 'CONTROL_BX_DISABLE',
          ASRStatus: true,
          ASRModelId: '7ee372834d2f4cc7ac0d0ab2d0ae1aac',
        },
      });
    case 'QueryRecordFileDownloadUrl':
      // The SDK's example link: an OSS URL signed with Expires (epoch seconds).
      return ok({
        DownloadUrl: `http://secret-axb-record-files.oss-cn-shanghai.aliyuncs.com/1000000820257625_${req.params.CallId}.mp3?Expires=1551755668&OSSAccessKeyId=LTAIP00vvvvvvvvv&Signature=tK6Yq9KusU4n%2BZ7lg4%2FWmEA%3D`,
      });
    case 'GetSecretAsrDetail':
      // The documented answer: Data with PascalCase sentences, numbers as numbers.
      return ok({
        Data: {
          RequestId: '8d2329d407a83447a83be441681f4872ac74nE',
          BusinessId: '435ee78c7a019650@!FC100000074672458@!202006152200',
          BusinessKey: 'JCGTncltuNao0000',
          Code: '21050000',
          Msg: 'SUCCESS',
          BizDuration: 10944,
          Type: 'asrResult',
          Sentences: [
            {
              EndTime: 1770,
              SilenceDuration: 0,
              BeginTime: 1020,
              Text: '您好',
              ChannelId: 0,
              SpeechRate: 80,
              EmotionValue: '5.7',
            },
          ],
        },
      });
    case 'QueryCallStatus':
      return ok({ SecretCallStatusDTO: { Status: 2, CalledNo: '17100000099' } });
    case 'BuySecretNo':
      return ok({ SecretBuyInfoDTO: { SecretNo: `${req.params.SecretNo ?? '171'}00000007` } });
    case 'QuerySecretNoRemain':
      return ok({
        SecretRemainDTO: {
          City: req.params.City,
          Amount: 12,
          RemainDTOList: {
            remainDTO: [
              { City: '杭州', Amount: 12 },
              { City: '上海', Amount: '3' },
            ],
          },
        },
      });
    default:
      return ok();
  }
}

/** A Dyplsapi stand-in on 127.0.0.1 that checks every signature with our signer. */
export async function startDyplsapiStub(accessKeySecret: string): Promise<DyplsapiStub> {
  const app = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );
  const requests: StubRequest[] = [];
  let handler: StubHandler = okFor;
  const queue: StubReply[] = [];

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const query = request.query as Record<string, string>;
    const params = { ...query, ...Object.fromEntries(new URLSearchParams(body)) };
    const auth = parseAcs3Authorization(String(request.headers.authorization ?? ''));
    let signatureOk: boolean;
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, String(v)]),
    );
    if (auth) {
      // V3: recompute over the headers the client signed, and check the body hash.
      const request3 = {
        method: request.method,
        path: '/',
        query,
        headers,
        payloadHash: sha256Hex(body),
      };
      signatureOk =
        headers['x-acs-content-sha256'] === sha256Hex(body) &&
        auth.signature === acs3Signature(request3, auth.signedHeaders, accessKeySecret);
    } else {
      const { Signature: signature, ...unsigned } = params;
      signatureOk = signature === sign(request.method, unsigned, accessKeySecret);
    }
    const req: StubRequest = {
      method: request.method,
      action: auth ? String(request.headers['x-acs-action'] ?? '') : (params.Action ?? ''),
      params,
      signatureOk,
      scheme: auth ? 'v3' : 'rpc',
      nonce: auth ? (headers['x-acs-signature-nonce'] ?? '') : (params.SignatureNonce ?? ''),
      accessKeyId: auth ? auth.accessKeyId : (params.AccessKeyId ?? ''),
      headers,
    };
    requests.push(req);
    const answer: StubReply = !signatureOk
      ? codeError('SignatureDoesNotMatch')
      : (queue.shift() ?? handler(req));
    if (answer === 'reset') {
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (answer === 'hang') {
      reply.hijack();
      return;
    }
    if ('raw' in answer) {
      return reply
        .code(answer.status)
        .type(answer.contentType ?? 'text/html')
        .send(answer.raw);
    }
    return reply.code(answer.status ?? 200).send(answer.json);
  };
  app.get('/', serve);
  app.post('/', serve);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => {
      handler = h;
    },
    script: (...replies) => {
      queue.push(...replies);
    },
    count: (action) => requests.filter((r) => !action || r.action === action).length,
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      handler = okFor;
    },
    close: () => app.close(),
  };
}
