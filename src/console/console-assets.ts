import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../common/project-root.js';

/** Where `npm run build` puts the console (Vite's output; see console/vite.config.ts). */
export const CONSOLE_DIST = join(PROJECT_ROOT, 'dist', 'console');
export const CONSOLE_PATH = '/console';

/**
 * Only what the console itself needs: its own scripts and styles, calls to this origin, no
 * framing, no referrer (URLs may hold a binding id).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Serves the built console under /console/ (public: it holds no data; every call it makes needs
 * a session). Vite names assets by content hash, so they are cached for good; index.html is
 * revalidated on every load. Returns false when the console has not been built.
 */
export function serveConsole(fastify: FastifyInstance, root = CONSOLE_DIST): boolean {
  if (!existsSync(join(root, 'index.html'))) return false;
  void fastify.register(async (instance) => {
    await instance.register(fastifyStatic, {
      root,
      prefix: `${CONSOLE_PATH}/`,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        void reply.headers(SECURITY_HEADERS);
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
