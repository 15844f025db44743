import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-server tier (real FreeSWITCH and drachtio-server) and the fault suite have runs of their own:
    // vitest.real.config.ts, vitest.chaos.config.ts.
    exclude: ['test/real/**', 'test/chaos/**', '**/node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests share one real Redis; each test file uses its own key prefix, so files may run in parallel.
    pool: 'forks',
    fileParallelism: true,
  },
});
