import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each service file boots its own service against the run's shared database; two cores.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'service',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The admin console's own tests (happy-dom), see console/vitest.config.ts.
      'console/vitest.config.ts',
    ],
  },
});
