export {
  ProviderError,
  type ProviderErrorContext,
  type ProviderOutcome,
} from './provider.error.js';
export { ProviderCodeError } from './provider-code.error.js';
export { ProviderHttpError } from './provider-http.error.js';
export { ProviderBadResponseError, type BadResponseReason } from './provider-bad-response.error.js';
export { ProviderTimeoutError } from './provider-timeout.error.js';
export { ProviderConnectionError } from './provider-connection.error.js';
export { ProviderAbortedError } from './provider-aborted.error.js';
export {
  classifyProviderCode,
  PROVIDER_CODES,
  type ProviderCodeClass,
  type ProviderCodeKind,
} from './provider-error-codes.js';
