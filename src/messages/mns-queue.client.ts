import { Pool } from 'undici';
import { MNS_VERSION, mnsSignature } from '../protocol/mns-signature.js';
import { readMnsXml } from '../protocol/mns-xml.js';

/** Who signs a request: temporary credentials (with their token) or an account key. */
export interface MnsCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** One received message, as ReceiveMessage returns it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** Epoch ms. */
  enqueueTime: number;
  /** How many times MNS has handed it out, this time included. */
  dequeueCount: number;
}

/** An answer with an MNS error code, or a transport failure (status 0, code Network/Timeout). */
export class MnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`MNS ${code} (${status}): ${message}`);
    this.name = 'MnsError';
  }

  /** The credentials are wrong or used up: get new ones before trying again. */
  get credentialProblem(): boolean {
    return [
      'SecurityTokenExpired',
      'InvalidSecurityToken',
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'AccessDenied',
    ].includes(this.code);
  }
}

/** Beyond the long poll, how long MNS may take to answer. */
const ANSWER_MARGIN_MS = 5_000;

/**
 * The three MNS queue calls the consumer needs — ReceiveMessage (long poll), DeleteMessage —
 * signed as MNS specifies (src/protocol/mns-signature.ts) over undici, with a timeout and an
 * AbortSignal on every call, so shutdown ends a long poll at once. `@alicloud/mns` signs the same
 * way (tests compare both) but cannot be cancelled (its httpx requests take no signal) and pins
 * its own dependencies (httpx, xml2js, debug 2); see the README.
 */
export class MnsQueueClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly host: string;

  constructor(
    endpoint: string,
    private readonly timeoutMs: number,
    connections = 8,
  ) {
    const url = new URL(endpoint);
    this.prefix = url.pathname.replace(/\/$/, '');
    this.host = url.host;
    this.pool = new Pool(url.origin, { connections, pipelining: 1 });
  }

  /** The next message, or null when the long poll ended without one. */
  async receive(
    queue: string,
    waitSeconds: number,
    credential: MnsCredential,
    signal: AbortSignal,
  ): Promise<ReceivedMessage | null> {
    const resource = `/queues/${encodeURIComponent(queue)}/messages?waitseconds=${waitSeconds}`;
    const answer = await this.send('GET', resource, credential, signal, waitSeconds * 1000);
    if (answer.status === 404 && answer.code === 'MessageNotExist') return null;
    const fields = this.expect(answer, 200, 'Message');
    const number = (name: string) => Number(fields[name] ?? NaN);
    if (!fields.ReceiptHandle || !fields.MessageId || fields.MessageBody === undefined) {
      throw new MnsError(answer.status, 'BadResponse', 'a Message without id, handle or body');
    }
    return {
      messageId: fields.MessageId,
      receiptHandle: fields.ReceiptHandle,
      body: fields.MessageBody,
      enqueueTime: number('EnqueueTime'),
      dequeueCount: number('DequeueCount'),
    };
  }

  /** Deletes a received message; MessageNotExist means its handle expired (it was redelivered). */
  async delete(
    queue: string,
    receiptHandle: string,
    credential: MnsCredential,
    signal: AbortSignal,
  ): Promise<void> {
    // The handle goes as MNS issued it, unencoded, as Alibaba's own clients send it (and sign it).
    const resource = `/queues/${encodeURIComponent(queue)}/messages?ReceiptHandle=${receiptHandle}`;
    const answer = await this.send('DELETE', resource, credential, signal, 0);
    if (answer.status !== 204 && answer.status !== 200) this.expect(answer, 204, 'Message');
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private expect(
    answer: {
      status: number;
      root?: string;
      code?: string;
      fields?: Record<string, string>;
      text: string;
    },
    status: number,
    root: string,
  ): Record<string, string> {
    if (answer.status === status && answer.fields && answer.root === root) return answer.fields;
    throw new MnsError(
      answer.status,
      answer.code ?? 'BadResponse',
      answer.fields?.Message ?? answer.text.slice(0, 200),
    );
  }

  private async send(
    method: 'GET' | 'DELETE',
    resource: string,
    credential: MnsCredential,
    callerSignal: AbortSignal,
    waitMs: number,
  ): Promise<{
    status: number;
    text: string;
    root?: string;
    code?: string;
    fields?: Record<string, string>;
  }> {
    const date = new Date().toUTCString();
    const headers: Record<string, string> = {
      host: this.host,
      date,
      'x-mns-date': date,
      'x-mns-version': MNS_VERSION,
    };
    headers.authorization = `MNS ${credential.accessKeyId}:${mnsSignature(
      method,
      headers,
      resource,
      credential.accessKeySecret,
    )}`;
    if (credential.securityToken) headers['security-token'] = credential.securityToken;
    const limit = waitMs + this.timeoutMs + ANSWER_MARGIN_MS;
    const signal = AbortSignal.any([callerSignal, AbortSignal.timeout(limit)]);
    try {
      const res = await this.pool.request({
        method,
        path: `${this.prefix}${resource}`,
        headers,
        signal,
        headersTimeout: limit,
        bodyTimeout: limit,
      });
      const text = await res.body.text();
      const document = text ? readMnsXml(text) : undefined;
      return {
        status: res.statusCode,
        text,
        root: document?.root,
        code: document?.root === 'Error' ? document.fields.Code : undefined,
        fields: document?.fields,
      };
    } catch (error) {
      if (callerSignal.aborted) throw error;
      const timedOut = signal.aborted;
      throw new MnsError(0, timedOut ? 'Timeout' : 'Network', (error as Error).message);
    }
  }
}
