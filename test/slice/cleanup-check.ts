/** What a finished run must not leave behind, for the slice tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { runId, STATE_DIR } from '../../harness/topology/owner.js';
import { tracefsRoot } from '../../harness/observe/tracefs.js';

export { until } from '../reliability/helpers.js';

export const ownPrefix = () => `tcpl-${runId()}-${process.pid}-`;

export function ownNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(ownPrefix()));
}

export async function ownTraceInstances(): Promise<string[]> {
  const root = await tracefsRoot();
  return readdirSync(`${root}/instances`).filter((n) => n.startsWith(ownPrefix()));
}

export function ownSlots(): string[] {
  const dir = `${STATE_DIR}/slots`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((s) => {
    try {
      return readFileSync(`${dir}/${s}`, 'utf8') === String(process.pid);
    } catch {
      return false;
    }
  });
}

/** Processes whose command line names this process's sidecar socket. */
export function ownSidecars(): number[] {
  const needle = `sidecar-${process.pid}.sock`;
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle)) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
