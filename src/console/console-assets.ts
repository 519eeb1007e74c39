import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../common/project-root.js';

/** Where `npm run build` puts the console (Vite's output; see console/vite.config.ts). */
export const CONSOLE_DIST = join(PROJECT_ROOT, 'dist', 'console');
export const CONSOLE_PATH = '/console';

/** Where Alibaba's recording links point: its OSS buckets (`<bucket>.oss-<region>.aliyuncs.com`). */
export const ALIBABA_MEDIA_ORIGIN = 'https://*.aliyuncs.com';

/**
 * The origins the console's <audio> may play recordings from: CONSOLE_MEDIA_ORIGINS when set,
 * else Alibaba's storage and the provider endpoint's own origin (the simulator, built in or not,
 * serves the links it signs itself).
 */
export function mediaOrigins(configured: readonly string[], providerEndpoint?: string): string[] {
  if (configured.length > 0) return [...configured];
  const origins = [ALIBABA_MEDIA_ORIGIN];
  if (providerEndpoint) {
    const origin = new URL(providerEndpoint).origin;
    if (!origin.endsWith('.aliyuncs.com')) origins.push(origin);
  }
  return origins;
}

/**
 * Only what the console itself needs: its own scripts and styles, calls to this origin, audio
 * from the recordings' storage only (a recording link is a signed URL of the provider's storage,
 * never of this origin), no framing, no referrer (URLs may hold a binding id; the signed links
 * need none).
 */
function securityHeaders(media: readonly string[]): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      `media-src ${media.join(' ')}; ` +
      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/**
 * Serves the built console under /console/ (public: it holds no data; every call it makes needs
 * a session). Vite names assets by content hash, so they are cached for good; index.html is
 * revalidated on every load. Returns false when the console has not been built.
 */
export function serveConsole(
  fastify: FastifyInstance,
  media: readonly string[] = [ALIBABA_MEDIA_ORIGIN],
  root = CONSOLE_DIST,
): boolean {
  if (!existsSync(join(root, 'index.html'))) return false;
  const headers = securityHeaders(media);
  void fastify.register(async (instance) => {
    await instance.register(fastifyStatic, {
      root,
      prefix: `${CONSOLE_PATH}/`,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        void reply.headers(headers);
        void reply.header(
          'cache-control',
          path.includes(`${join('console', 'assets')}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    });
    instance.get(CONSOLE_PATH, (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`, 301));
  });
  return true;
}
