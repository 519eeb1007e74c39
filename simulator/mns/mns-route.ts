import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  acceptableContentMd5,
  MNS_VERSION,
  mnsSignature,
  mnsStringToSign,
  parseMnsAuthorization,
} from '../../src/protocol/mns-signature.js';
import { readMnsXml, writeMnsXml } from '../../src/protocol/mns-xml.js';
import { rawBody } from '../http/params.js';
import type { SimulatorState } from '../state/simulator-state.js';
import type { MessageQueue } from './message-queue.js';

export const MNS_PREFIX = '/mns';
const MAX_WAIT_SECONDS = 30;
const DATE_SKEW_MS = 15 * 60_000;

class MnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The MNS queue API under /mns on the simulator's port, enough for a Dyplsapi message consumer
 * and for `@alicloud/mns` with `endpoint: '<simulator>/mns'`: ReceiveMessage (long polling with
 * waitseconds ≤ 30), DeleteMessage by receipt handle, SendMessage and GetQueueAttributes. Every
 * request is signed (`Authorization: MNS id:signature` over the path below /mns), dated within
 * 15 minutes, and made with the account's key or a temporary credential from
 * QueryTokenForMnsQueue (its security token, unexpired, for that queue only).
 */
export function registerMnsRoutes(
  app: FastifyInstance,
  state: SimulatorState,
  closing: AbortSignal,
): void {
  const handle =
    (work: (request: FastifyRequest, reply: FastifyReply, queue: MessageQueue) => Promise<void>) =>
    async (request: FastifyRequest<{ Params: { queue: string } }>, reply: FastifyReply) => {
      try {
        const queue = authenticate(request, state);
        await work(request, reply, queue);
      } catch (error) {
        if (!(error instanceof MnsError)) throw error;
        await sendError(reply, state.options.accountUid, error);
      }
    };

  app.get(
    `${MNS_PREFIX}/queues/:queue/messages`,
    handle(async (request, reply, queue) => {
      const query = request.query as Record<string, string | undefined>;
      if (query.peekonly !== undefined || query.numOfMessages !== undefined) {
        throw new MnsError(400, 'InvalidArgument', 'peek and batch receive are not simulated');
      }
      const wait = query.waitseconds === undefined ? 0 : Number(query.waitseconds);
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) {
        throw new MnsError(400, 'InvalidArgument', `waitseconds must be 0-${MAX_WAIT_SECONDS}`);
      }
      const gone = new AbortController();
      const onClose = () => gone.abort();
      reply.raw.once('close', onClose);
      const message = await queue
        .receive(wait * 1000, AbortSignal.any([closing, gone.signal]))
        .finally(() => reply.raw.off('close', onClose));
      if (!message) throw new MnsError(404, 'MessageNotExist', 'Message not exist.');
      await sendXml(reply, 200, 'Message', {
        MessageId: message.messageId,
        ReceiptHandle: message.receiptHandle ?? '',
        MessageBodyMD5: message.bodyMd5,
        MessageBody: message.body,
        EnqueueTime: message.enqueueTime,
        NextVisibleTime: message.nextVisibleTime,
        FirstDequeueTime: message.firstDequeueTime ?? message.enqueueTime,
        DequeueCount: message.dequeueCount,
        Priority: message.priority,
      });
    }),
  );

  app.delete(
    `${MNS_PREFIX}/queues/:queue/messages`,
    handle(async (request, reply, queue) => {
      const handleParam = (request.query as Record<string, string | undefined>).ReceiptHandle;
      if (!handleParam) throw new MnsError(400, 'InvalidArgument', 'ReceiptHandle is required');
      const result = queue.delete(handleParam, Date.now());
      if (result === 'ReceiptHandleError') {
        throw new MnsError(400, result, 'The receipt handle you provided is not valid.');
      }
      if (result === 'MessageNotExist') {
        throw new MnsError(404, result, 'Message not exist or the receipt handle has expired.');
      }
      await reply.code(204).header('x-mns-request-id', requestId()).send();
    }),
  );

  app.post(
    `${MNS_PREFIX}/queues/:queue/messages`,
    handle(async (request, reply, queue) => {
      const document = readMnsXml(rawBody(request).toString('utf8'));
      const body = document?.root === 'Message' ? document.fields.MessageBody : undefined;
      if (body === undefined) {
        throw new MnsError(400, 'InvalidArgument', 'the body must be a Message with MessageBody');
      }
      const message = queue.send(body, Date.now());
      await sendXml(reply, 201, 'Message', {
        MessageId: message.messageId,
        MessageBodyMD5: message.bodyMd5,
      });
    }),
  );

  app.get(
    `${MNS_PREFIX}/queues/:queue`,
    handle(async (_request, reply, queue) => {
      const counts = queue.counts(Date.now());
      await sendXml(reply, 200, 'Queue', {
        QueueName: queue.name,
        ActiveMessages: counts.active,
        InactiveMessages: counts.inactive,
        DelayMessages: 0,
        VisibilityTimeout: Math.ceil(queue.visibilityTimeoutMs / 1000),
        PollingWaitSeconds: 0,
        MaximumMessageSize: 65536,
        MessageRetentionPeriod: 345600,
      });
    }),
  );
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Signature, date, version and credential checks; returns the queue the request names. */
function authenticate(
  request: FastifyRequest<{ Params: { queue: string } }>,
  state: SimulatorState,
): MessageQueue {
  const authorization = parseMnsAuthorization(header(request, 'authorization') ?? '');
  if (!authorization) {
    throw new MnsError(403, 'AccessDenied', 'The Authorization header is missing or malformed.');
  }
  if (header(request, 'x-mns-version') !== MNS_VERSION) {
    throw new MnsError(400, 'InvalidArgument', `x-mns-version must be ${MNS_VERSION}`);
  }
  const date = Date.parse(header(request, 'date') ?? header(request, 'x-mns-date') ?? '');
  if (Number.isNaN(date)) throw new MnsError(400, 'InvalidArgument', 'Date is missing or invalid');
  const now = Date.now();
  if (Math.abs(now - date) > DATE_SKEW_MS) {
    throw new MnsError(403, 'TimeExpired', 'The http request you sent is expired.');
  }

  const queue = state.alicom.byName(request.params.queue);
  let secret: string;
  if (authorization.accessKeyId === state.options.accessKeyId) {
    secret = state.options.accessKeySecret;
  } else {
    const credential = state.tokens.get(authorization.accessKeyId);
    if (!credential) {
      throw new MnsError(403, 'InvalidAccessKeyId', 'The access Id you provided does not exist.');
    }
    const token = header(request, 'security-token') ?? header(request, 'x-mns-security-token');
    if (token !== credential.securityToken) {
      throw new MnsError(403, 'InvalidSecurityToken', 'The security token is not valid.');
    }
    if (credential.expiresAt <= now) {
      throw new MnsError(403, 'SecurityTokenExpired', 'The security token has expired.');
    }
    if (credential.queueName !== request.params.queue) {
      throw new MnsError(403, 'AccessDenied', 'The credential was issued for another queue.');
    }
    secret = credential.accessKeySecret;
  }

  const resource = request.url.slice(MNS_PREFIX.length);
  const headers = Object.fromEntries(
    Object.keys(request.headers).map((name) => [name, header(request, name)]),
  );
  if (mnsSignature(request.method, headers, resource, secret) !== authorization.signature) {
    throw new MnsError(
      403,
      'SignatureDoesNotMatch',
      `The request signature does not conform to MNS standards. string to sign: ${JSON.stringify(mnsStringToSign(request.method, headers, resource))}`,
    );
  }
  const md5 = header(request, 'content-md5');
  if (md5 !== undefined && !acceptableContentMd5(rawBody(request)).includes(md5)) {
    throw new MnsError(400, 'InvalidArgument', 'Content-MD5 does not match the body.');
  }
  if (!queue) throw new MnsError(404, 'QueueNotExist', 'The queue name you provided is not exist.');
  return queue;
}

function requestId(): string {
  return randomUUID().replace(/-/g, '').toUpperCase().slice(0, 24);
}

async function sendXml(
  reply: FastifyReply,
  status: number,
  root: string,
  fields: Record<string, string | number>,
): Promise<void> {
  await reply
    .code(status)
    .header('content-type', 'text/xml;charset=utf-8')
    .header('x-mns-request-id', requestId())
    .header('x-mns-version', MNS_VERSION)
    .send(writeMnsXml(root, fields));
}

async function sendError(reply: FastifyReply, accountUid: string, error: MnsError) {
  await sendXml(reply, error.status, 'Error', {
    Code: error.code,
    Message: error.message,
    RequestId: requestId(),
    HostId: `http://${accountUid}.mns.cn-hangzhou.aliyuncs.com`,
  });
}
