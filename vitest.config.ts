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
          // Files run one after another in each worker's process, its modules loaded once: every
          // file boots its own app on its own database copy (test/support), so nothing is shared
          // but the module cache. One process per file spent a quarter of the run importing.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The admin console's own tests (happy-dom), see console/vitest.config.ts.
      'console/vitest.config.ts',
    ],
  },
});
