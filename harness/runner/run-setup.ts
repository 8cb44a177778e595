/**
 * The run's start and end in vitest's main process (global-setup.ts loads it): one run id
 * and run folder for all workers, leftovers of dead runs removed first, the guest pool;
 * at the end summary.json, report.html and bundle.json (the normalised results
 * `tcpladder diff` compares).
 */
import { rmSync, existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// modules, not their folders' index.ts: each index brings every module of its folder, zod
// schemas and all, into vitest's main process for the whole run (docs/PERFORMANCE.md)
import { runId } from '../topology/owner.js';
import { privilegeProblem, rootless } from '../topology/privilege.js';
import { runDir } from '../case/paths.js';
import { finishInChild, removeLeftoversInChild } from './steps.js';
import { moduleErrors, outcomes } from './results.js';
import { shownPath, SETUP_ERROR_FILE } from './paths.js';
import { startPool, probeStack } from '../stacks/pool/client.js';
import { runStacks } from '../stacks/run-stacks.js';
import type { GuestStack } from '../stacks/types.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const problem = privilegeProblem();
  if (problem) throw new Error(`tcpladder ${problem}`);
  const run = runId();
  const dir = runDir();
  const startedAt = new Date();
  // a rootless run's /run and namespaces are its own: nothing of another run to clean
  const removed = rootless() ? [] : await removeLeftoversInChild();
  if (removed.length) process.stderr.write(`tcpladder: removed leftovers of earlier runs: ${removed.join(', ')}\n`);
  // guests belong to the run: one pool for all workers, warmed for the run's own stack
  const pool = rootless() ? null : await startPool(prewarm(project.config.maxWorkers));
  // a stack the run asks of every host must start a guest at all, or no case can run
  for (const stack of runGuestStacks()) {
    try {
      await probeStack(stack);
    } catch (e) {
      await pool?.stop();
      const line = `stack ${stack}: its guest does not start: ${(e as Error).message.split('\n')[0]} (tcpladder doctor checks it)`;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, SETUP_ERROR_FILE), `${line}\n`);
      throw new Error(line);
    }
  }
  return async () => {
    try {
      const modules = project.vitest.state.getTestModules();
      const { passed, failed, report, bundleError } = await finishInChild({ dir, run, startedAt: startedAt.toISOString(), tests: outcomes(modules), moduleErrors: moduleErrors(modules) });
      if (bundleError) process.stderr.write(`tcpladder: bundle.json not written: ${bundleError}\n`);
      // `tcpladder run` prints its own summary; plain vitest (npm test) gets this line
      if (report && !process.env.TCPLADDER_CLI) {
        process.stderr.write(`tcpladder: ${passed} passed, ${failed} failed — report: ${shownPath(report)}\n`);
      } else if (!report && existsSync(dir) && readdirSync(dir).length === 0) {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await pool?.stop();
    }
  };
}

/** The guest stacks the run asks for (--stack). */
function runGuestStacks(): GuestStack[] {
  const { all, hosts } = runStacks();
  return [...new Set([all, ...Object.values(hosts)])].filter((s): s is GuestStack => s !== null && s !== 'linux');
}

/** Guests to start ahead: one per worker for the stack the run asks of every host. */
function prewarm(workers: number | string | undefined): Partial<Record<GuestStack, number>> {
  const n = typeof workers === 'number' ? Math.max(1, Math.min(workers, 4)) : 2;
  return Object.fromEntries(runGuestStacks().map((s) => [s, n]));
}
