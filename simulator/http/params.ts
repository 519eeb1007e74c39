import type { FastifyRequest } from 'fastify';

export type Params = Record<string, string>;

/**
 * All request parameters: the query string, then (for a form POST) the body, which wins on a
 * clash. Both are percent-decoded; clients may split parameters between the two.
 */
export function collectParams(request: FastifyRequest): Params {
  const params: Params = {};
  const url = new URL(request.url, 'http://simulator.invalid');
  for (const [key, value] of url.searchParams) params[key] = value;
  if (typeof request.body === 'string' && request.body.length > 0) {
    for (const [key, value] of new URLSearchParams(request.body)) params[key] = value;
  }
  return params;
}
