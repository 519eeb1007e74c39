import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  requestId: string;
  [extra: string]: unknown;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * The one error filter. Domain errors and HTTP exceptions keep their status and code; anything
 * else is a 500 whose details stay in the log, keyed by the request id returned to the caller.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, String(request.id));
    const where = `${request.method} ${request.routeOptions?.url ?? request.url.split('?')[0]}`;
    if (exception instanceof DomainError || exception instanceof HttpException) {
      // Expected failures (a provider outage, say): one line, no stack.
      if (body.statusCode >= 500)
        this.logger.warn(`${where} [${body.requestId}]: ${body.code} ${body.message}`);
    } else if (body.statusCode >= 500) {
      const detail =
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`${where} failed [${body.requestId}]: ${detail}`);
    }
    void reply.status(body.statusCode).send(body);
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
    const status = (exception as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own errors (malformed JSON, body too large, wrong content type).
      return {
        statusCode: status,
        code: STATUS_CODES[status] ?? 'BAD_REQUEST',
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
