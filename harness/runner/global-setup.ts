/**
 * vitest global setup (main process): one run id and run folder for all workers,
 * leftovers of dead runs removed first, summary.json written at the end.
 */
import { rmSync, existsSync, readdirSync } from 'node:fs';
import { runId, cleanLeftovers } from '../topology/index.js';
import { cleanInstances } from '../observe/index.js';
import { runDir } from '../case/paths.js';
import { writeSummary } from './summary.js';

export default async function setup(): Promise<() => void> {
  if (process.getuid?.() !== 0) {
    throw new Error('tcpladder needs root for network namespaces, veth links and tracefs (run: sudo npm test)');
  }
  const run = runId();
  const dir = runDir();
  const startedAt = new Date();
  const removed = [...(await cleanLeftovers()), ...(await cleanInstances())];
  if (removed.length) process.stderr.write(`tcpladder: removed leftovers of earlier runs: ${removed.join(', ')}\n`);
  return () => {
    const summary = writeSummary(dir, run, startedAt);
    if (summary.cases.length) {
      process.stderr.write(`tcpladder: ${summary.passed} passed, ${summary.failed} failed — captures in ${dir}\n`);
    } else if (existsSync(dir) && readdirSync(dir).length === 0) {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
