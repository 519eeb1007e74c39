import { defineProject } from 'vitest/config';

/** The console's own tests: components in happy-dom, pure logic as plain unit tests. */
export default defineProject({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    name: 'console',
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
