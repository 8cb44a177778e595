/**
 * vitest global setup (main process): one run id and run folder for all workers,
 * leftovers of dead runs removed first; at the end summary.json, report.html and
 * bundle.json (the normalised results `tcpladder diff` compares).
 */
import { rmSync, existsSync, readdirSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { runId, cleanLeftovers, privilegeProblem, rootless } from '../topology/index.js';
import { cleanInstances } from '../observe/index.js';
import { runDir } from '../case/paths.js';
import { finishRun } from './finish.js';
import { writeBundle } from '../diff/index.js';
import { shownPath } from './paths.js';
import { startPool, runStacks, cleanGuests, type GuestStack } from '../stacks/index.js';

export default async function setup(project: TestProject): Promise<() => void> {
  const problem = privilegeProblem();
  if (problem) throw new Error(`tcpladder ${problem}`);
  const run = runId();
  const dir = runDir();
  const startedAt = new Date();
  // a rootless run's /run and namespaces are its own: nothing of another run to clean
  const removed = rootless() ? [] : [...(await cleanGuests()), ...(await cleanLeftovers()), ...(await cleanInstances())];
  if (removed.length) process.stderr.write(`tcpladder: removed leftovers of earlier runs: ${removed.join(', ')}\n`);
  // guests belong to the run: one pool for all workers, warmed for the run's own stack
  const pool = rootless() ? null : await startPool(prewarm(project.config.maxWorkers));
  return async () => {
    const { summary, report } = finishRun(dir, run, startedAt, project.vitest.state.getTestModules());
    if (report) {
      try {
        writeBundle(dir, { run, createdAt: startedAt });
      } catch (e) {
        process.stderr.write(`tcpladder: bundle.json not written: ${(e as Error).message}\n`);
      }
    }
    // `tcpladder run` prints its own summary; plain vitest (npm test) gets this line
    if (report && !process.env.TCPLADDER_CLI) {
      process.stderr.write(`tcpladder: ${summary.passed} passed, ${summary.failed} failed — report: ${shownPath(report)}\n`);
    } else if (!report && existsSync(dir) && readdirSync(dir).length === 0) {
      rmSync(dir, { recursive: true, force: true });
    }
    await pool?.stop();
  };
}

/** Guests to start ahead: one per worker for the stack the run asks of every host. */
function prewarm(workers: number | string | undefined): Partial<Record<GuestStack, number>> {
  const { all, hosts } = runStacks();
  const n = typeof workers === 'number' ? Math.max(1, Math.min(workers, 4)) : 2;
  const out: Partial<Record<GuestStack, number>> = {};
  for (const s of [all, ...Object.values(hosts)]) if (s && s !== 'linux') out[s] = n;
  return out;
}
