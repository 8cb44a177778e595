import { defineConfig } from 'vitest/config';
import { packetdrillPlugin } from './harness/packetdrill/vite-plugin.js';
import { SlowFirstSequencer } from './harness/runner/sequencer.js';
import { caseBundlePlugin } from './harness/runner/case-bundle.js';

// Socket waits run poll() on libuv worker threads; give them room. Worker processes
// inherit this from the main process.
process.env.UV_THREADPOOL_SIZE ??= '32';
// glibc raises its mmap threshold to the largest block freed, and then serves a bulk
// case's megabyte buffers from a heap it never gives back: a fixed threshold keeps them
// mapped and returned when freed (as for the capture sidecar, harness/wire/client.ts).
process.env.MALLOC_MMAP_THRESHOLD_ ??= String(128 * 1024);

export default defineConfig(async () => ({
  // a .pkt script is a test module: the plugin registers its tests through the executor;
  // case files and scripts get the harness as one precompiled module
  plugins: [packetdrillPlugin(), await caseBundlePlugin()],
  test: {
    // `tcpladder run` runs cases only; `npm test` runs the unit tests, every case and every script
    include: process.env.TCPLADDER_INCLUDE ? (JSON.parse(process.env.TCPLADDER_INCLUDE) as string[]) : ['test/**/*.test.ts', 'cases/**/*.case.ts', 'cases/**/*.pkt'],
    globalSetup: ['./harness/runner/global-setup.ts'],
    pool: 'forks',
    // `tcpladder run` reuses a worker process for many case files: each new one cost about
    // 1.5 CPU-s (vitest's worker, the harness's modules, a capture sidecar, a tracefs
    // instance), most of a catalogue's CPU on 2 CPUs (docs/PERFORMANCE.md, Catalogue).
    // The unit tests keep vitest's isolation; TCPLADDER_ISOLATE=1 asks it for cases too.
    isolate: process.env.TCPLADDER_CLI !== '1' || process.env.TCPLADDER_ISOLATE === '1',
    sequence: { sequencer: SlowFirstSequencer },
    // V8's young generation held to 2 MiB a half (its default grows to 16): a case's
    // garbage dies young either way; and V8 told to favour memory over speed, which took
    // a third off the busiest worker's peak at no cost in a catalogue's time
    // (docs/PERFORMANCE.md, Peak memory)
    // TCPLADDER_WORKER_NODE_ARGS: more for the workers (e.g. `--cpu-prof --cpu-prof-dir=DIR`)
    execArgv: ['--max-semi-space-size=2', '--optimize-for-size', ...(process.env.TCPLADDER_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
}));
