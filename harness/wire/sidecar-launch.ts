/**
 * How a capture sidecar process is started: the same Node flags and environment for the
 * harness's own (client.ts) and for the Compose `capture` service's
 * (scripts/docker-capture-pool.mjs).
 */

/**
 * A young generation of 2 MiB a half (V8's default grows to 16): the sidecar's per-frame
 * garbage dies young either way, and its peak memory stays lower. Its collections on its
 * own thread: helper threads only take a CPU from the hosts the relay is serving
 * (docs/PERFORMANCE.md, Relay throughput). TCPLADDER_SIDECAR_NODE_ARGS adds more, e.g.
 * '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the sidecar.
 */
export function sidecarNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  return ['--max-semi-space-size=2', '--single-threaded-gc', ...(env.TCPLADDER_SIDECAR_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/**
 * glibc's malloc raises its mmap threshold to the largest block freed, and then serves
 * the sidecar's buffers of a few megabytes from its heap, zeroed page by page and never
 * given back: a fixed threshold keeps them mapped, resident only where written, and
 * returned when freed.
 */
export function sidecarEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { MALLOC_MMAP_THRESHOLD_: String(128 * 1024), ...env };
}
