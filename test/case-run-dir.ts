/**
 * For a test file that drives CaseRun itself: its cases' captures go to `dir` (as
 * TCPLADDER_RUN_DIR); after the file, or when the process exits first, the sidecar and
 * the trace session stop, and after the file the variable is as it was and `remove`
 * (default `dir`) is gone. Call it at the top of the file.
 */
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { onExit } from '../harness/case/cleanup.js';
import { stopSidecar } from '../harness/wire/index.js';
import { closeTraceSession } from '../harness/observe/index.js';

export function useCaseRunDir(dir: string, remove = dir): string {
  const previous = process.env.TCPLADDER_RUN_DIR;
  process.env.TCPLADDER_RUN_DIR = dir;
  const stop = () => {
    stopSidecar();
    closeTraceSession();
  };
  onExit(stop);
  afterAll(() => {
    stop();
    if (previous === undefined) delete process.env.TCPLADDER_RUN_DIR;
    else process.env.TCPLADDER_RUN_DIR = previous;
    rmSync(remove, { recursive: true, force: true });
  });
  return dir;
}
