import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../errors/database-unavailable.js';
import { DomainError } from '../errors/domain-error.js';
import { boundedErrorBody, STATUS_CODES, type ErrorBody } from './error-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the error filter: the code answered, and whether it was a designed refusal. */
    errorAnswer?: { code: string; expected: boolean };
  }
}

/** Fastify's own errors by code, where the status alone would say less. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Where designed refusals are told (the LogThrottle: once per code and interval, counted). */
export interface RefusalLog {
  note(cause: string, line: string, requestId?: string): void;
}

/**
 * The one error filter. Domain errors and HTTP exceptions keep their status and code; Fastify's
 * own errors (body too large, wrong content type) get a code; an unmatched route is a 404, or a
 * 405 with Allow when the path exists for other methods; the database being unavailable, from
 * whichever layer it surfaces (pg, Prisma, the driver adapter, a timeout), is a 503
 * DATABASE_UNAVAILABLE (one classification: isDatabaseUnavailable); anything else is a 500 whose
 * details stay in the log, keyed by the request id returned to the caller. An error that says
 * when to come back (`details.retryAfterSeconds`) also sets Retry-After. Every body is bounded.
 * Designed refusals are logged through the LogThrottle (warn, once per code and interval), the
 * unplanned each at error.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  constructor(private readonly refusals: RefusalLog) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const exception =
      !(caught instanceof DomainError) &&
      !(caught instanceof HttpException) &&
      isDatabaseUnavailable(caught)
        ? new DatabaseUnavailableError()
        : caught;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let body = this.toBody(exception, String(request.id));
    if (exception instanceof NotFoundException && !request.routeOptions?.url) {
      body = this.unmatched(request, reply, body);
    }
    const where = `${request.method} ${request.routeOptions?.url ?? 'unmatched route'}`;
    const expected = exception instanceof DomainError || exception instanceof HttpException;
    // The access line's level and the per-code metric follow from this (access-log.ts).
    request.errorAnswer = { code: body.code, expected };
    if (expected) {
      // Refusals the service was designed to give (a database or provider outage, a rate limit,
      // bad input): warn, once per code and interval with a count; no stack.
      const provider = (body.details as { providerCode?: unknown } | undefined)?.providerCode;
      this.refusals.note(
        body.code,
        `${body.code}: ${where} [${body.requestId}] answered ${body.statusCode}: ${body.message}` +
          (typeof provider === 'string' ? ` (provider ${provider})` : '') +
          (exception === caught ? '' : ` (${(caught as Error).message})`),
        body.requestId,
      );
    } else if (body.statusCode >= 500) {
      // Nobody planned this one: each is an error line with its stack.
      const detail =
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`${where} failed [${body.requestId}]: ${detail}`);
    }
    const retryAfter = (body.details as { retryAfterSeconds?: unknown } | undefined)
      ?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(body.statusCode).send(boundedErrorBody(body));
  }

  /** No route matched: 405 with Allow when other methods serve this path, else 404. */
  private unmatched(request: FastifyRequest, reply: FastifyReply, body: ErrorBody): ErrorBody {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => request.server.findRoute({ method, url: path }));
    if (allowed.length === 0) {
      return { ...body, message: 'No such route' };
    }
    void reply.header('allow', allowed.join(', '));
    return {
      statusCode: HttpStatus.METHOD_NOT_ALLOWED,
      code: 'METHOD_NOT_ALLOWED',
      message: `${request.method} is not allowed here (allowed: ${allowed.join(', ')})`,
      requestId: body.requestId,
    };
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    if (exception instanceof DomainError) {
      return {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        requestId,
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const fromObject =
        typeof response === 'object' && response !== null
          ? (response as Record<string, unknown>)
          : {};
      const message = typeof response === 'string' ? response : fromObject.message;
      return {
        ...fromObject,
        statusCode: status,
        code:
          typeof fromObject.code === 'string' ? fromObject.code : (STATUS_CODES[status] ?? 'ERROR'),
        message: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message),
        requestId,
        error: undefined,
      };
    }
    const { statusCode: status, code } = (exception ?? {}) as {
      statusCode?: number;
      code?: string;
    };
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own errors (body too large, wrong content type, bad content length).
      return {
        statusCode: status,
        code: (code && FASTIFY_CODES[code]) ?? STATUS_CODES[status] ?? 'BAD_REQUEST',
        message: (exception as Error).message,
        requestId,
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'INTERNAL',
      message: 'Internal error',
      requestId,
    };
  }
}
