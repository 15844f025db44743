import { defineConfig } from 'vitest/config';

// The real-server tier: a real FreeSWITCH 1.10.12 and drachtio-server 0.9.10 (../shared/peers, installed by
// scripts/peers.sh) with sipp callers and phones. One file at a time: each starts its own FreeSWITCH, and calls
// are timed against real media clocks, which a second FreeSWITCH on a 2-core machine would disturb.
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
