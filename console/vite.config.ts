import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The admin console, built into dist/console and served by the service at /console/ (see
 * src/console/console-assets.ts). No plugin: Vite's own transformer compiles Preact's JSX.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle; no inline scripts, so the page runs under a strict Content-Security-Policy.
    assetsInlineLimit: 0,
  },
});
