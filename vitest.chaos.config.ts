import { defineConfig } from 'vitest/config';

// The fault suite (test/chaos): each run starts two router processes, a switch emulator and a redis-server, and
// kills or cuts one of them under steady calls. One run at a time, after the main tier: on a 2-core machine a run
// beside other test files would measure the machine, not the router.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
