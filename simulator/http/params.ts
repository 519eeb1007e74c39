import type { FastifyRequest } from 'fastify';
import type { IncomingCall } from './authenticate.js';

export type Params = Record<string, string>;

/** The raw body as bytes (the catch-all content parser keeps it a Buffer). */
export function rawBody(request: FastifyRequest): Buffer {
  const body = request.body;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.alloc(0);
}

/**
 * One request as the gateway sees it. Parameters: the query string, then (for a form POST) the
 * body, which wins on a clash; both percent-decoded; clients may split parameters between them.
 */
export function incomingCall(request: FastifyRequest, pathPrefix = ''): IncomingCall {
  const url = new URL(request.url, 'http://simulator.invalid');
  const query: Params = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const params: Params = { ...query };
  const body = rawBody(request);
  const type = String(request.headers['content-type'] ?? '');
  if (body.length > 0 && !type.includes('json') && !type.includes('xml')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
  }
  const path = url.pathname.startsWith(pathPrefix)
    ? url.pathname.slice(pathPrefix.length) || '/'
    : url.pathname;
  return { method: request.method, path, query, params, headers: request.headers, body };
}
