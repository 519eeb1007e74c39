import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import type { AppConfig } from '../../config/app-config.js';
import { DomainError } from '../errors/domain-error.js';
import { boundedErrorBody, type ErrorBody } from '../filters/error-body.js';
import { checkQuery, parseJsonBody, type BodyPolicyRouteConfig } from './json-body-policy.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's own x-request-id when it is a sane token, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Errors Node's HTTP parser and timers raise before any request object exists. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    message: 'The request did not arrive in time (headers or body incomplete)',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'HEADERS_TOO_LARGE',
    message: 'The request line and headers are too large',
  },
};
const MALFORMED = { status: 400, code: 'MALFORMED_REQUEST', message: 'Malformed HTTP request' };
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/**
 * The server's limits and timeouts, set deliberately (README: HTTP limits), and the answers to
 * what Node and Fastify refuse before Nest sees a request, in the API's error shape with a
 * request id that is also logged.
 */
export function serverOptions(http: AppConfig['http'], log: Pino): FastifyHttpOptions<Server> {
  const interval = Math.max(50, Math.min(1000, Math.floor(http.headersTimeoutMs / 4)));
  return {
    genReqId: requestIdOf,
    bodyLimit: http.bodyLimitBytes,
    requestTimeout: http.requestTimeoutMs,
    connectionTimeout: http.connectionTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // Forwarded headers (x-forwarded-for, -proto, -host) count only from these proxies: the client
    // address (request.ip) and HTTPS (request.protocol) cannot be claimed by a client.
    trustProxy: http.trustedProxies.length > 0 ? http.trustedProxies : false,
    http: {
      maxHeaderSize: http.maxHeaderBytes,
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      // How often Node looks for requests past their timeouts (its default is 30 s).
      connectionsCheckingInterval: interval,
    },
    clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const known = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
      const requestId = randomUUID();
      log.warn({ reqId: requestId, status: known.status, cause: error.code }, 'request refused');
      const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })
        ._httpMessage;
      if (socket.writable && !inFlight?.headersSent) {
        const body = JSON.stringify({
          statusCode: known.status,
          code: known.code,
          message: known.message,
          requestId,
        } satisfies ErrorBody);
        socket.write(
          `HTTP/1.1 ${known.status} ${REASONS[known.status]}\r\n` +
            `content-type: application/json; charset=utf-8\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n` +
            `connection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
    frameworkErrors(
      error: Error & { code?: string },
      request: FastifyRequest,
      reply: FastifyReply,
    ) {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const status = tooLong ? 414 : 400;
      // No route context here: the onSend and onResponse hooks do not run.
      log.warn(
        { reqId: request.id, status, url: request.url, cause: error.code },
        'request refused',
      );
      void reply
        .code(status)
        .header('x-request-id', request.id)
        .send(
          boundedErrorBody({
            statusCode: status,
            code: tooLong ? 'URI_TOO_LONG' : 'BAD_URL',
            message: tooLong ? 'A path segment is too long' : 'The URL is not validly encoded',
            requestId: String(request.id),
          }),
        );
    },
  };
}

/**
 * What every request must satisfy before a handler sees it: a URL of bounded length (414), a
 * query string and a body under the JSON body policy (only application/json, else 415).
 */
export function installRequestPolicy(fastify: FastifyInstance, http: AppConfig['http']): void {
  fastify.addHook('onRequest', async (request) => {
    if (request.url.length > http.maxUrlLength)
      throw new DomainError(
        'URI_TOO_LONG',
        `The URL is longer than ${http.maxUrlLength} characters`,
        414,
      );
  });
  fastify.addHook('preValidation', async (request) => {
    checkQuery(request.query);
  });
  const policy = { maxDepth: http.maxBodyDepth };
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: http.bodyLimitBytes },
    (request, body, done) => {
      try {
        const config = () => request.routeOptions.config as BodyPolicyRouteConfig | undefined;
        done(null, parseJsonBody(body as Buffer, policy, config));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}
