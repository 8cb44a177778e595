import { defineConfig } from 'vitest/config';

// Socket waits run poll() on libuv worker threads; give them room. Worker processes
// inherit this from the main process.
process.env.UV_THREADPOOL_SIZE ??= '32';

export default defineConfig({
  test: {
    // `tcpladder run` runs cases only; `npm test` runs the unit tests and every case
    include: process.env.TCPLADDER_INCLUDE ? (JSON.parse(process.env.TCPLADDER_INCLUDE) as string[]) : ['test/**/*.test.ts', 'cases/**/*.case.ts'],
    globalSetup: ['./harness/runner/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
