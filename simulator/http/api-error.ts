import { DYPLSAPI_CODE_MESSAGES } from '../../src/protocol/error-codes.js';

/** A non-OK answer: the Code, its Message and the HTTP status Alibaba sends with it. */
export class ApiError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: string,
    message?: string,
    httpStatus?: number,
  ) {
    super(message ?? DYPLSAPI_CODE_MESSAGES[code] ?? code);
    this.httpStatus = httpStatus ?? httpStatusForCode(code);
  }
}

/**
 * Dyplsapi answers business errors (isv.*) with HTTP 200 and the Code in the body; platform
 * failures (isp.*) with 500, except the permission refusal, which is a business answer. Gateway
 * errors use 4xx: unknown key and unknown action 404, the rest 400.
 */
export function httpStatusForCode(code: string): number {
  if (code === 'OK' || code.startsWith('isv.') || code === 'isp.RAM_PERMISSION_DENY') return 200;
  if (code.startsWith('isp.')) return 500;
  if (code === 'InvalidAccessKeyId.NotFound' || code === 'InvalidAction.NotFound') return 404;
  if (code === 'ServiceUnavailable') return 503;
  if (code === 'InternalError') return 500;
  return 400;
}

/** `Missing<Name>`, as Alibaba's gateway names an absent mandatory parameter. */
export function missingParameter(name: string): ApiError {
  return new ApiError(`Missing${name}`, `${name} is mandatory for this action.`, 400);
}
