/** summary.json: the run's cases, read back from the trace.json each case wrote. */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { release, version } from 'node:os';
import type { CaseTrace, RunSummary } from '../trace/types.js';

export function readTraces(runDir: string): { dir: string; trace: CaseTrace }[] {
  if (!existsSync(runDir)) return [];
  const out: { dir: string; trace: CaseTrace }[] = [];
  for (const name of readdirSync(runDir).sort()) {
    const file = join(runDir, name, 'trace.json');
    if (existsSync(file)) out.push({ dir: name, trace: JSON.parse(readFileSync(file, 'utf8')) as CaseTrace });
  }
  return out;
}

export function writeSummary(runDir: string, run: string, startedAt: Date): RunSummary {
  const traces = readTraces(runDir);
  const summary: RunSummary = {
    version: 1,
    run,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    kernel: `${release()} ${version()}`,
    node: process.version,
    passed: traces.filter((t) => t.trace.status === 'passed').length,
    failed: traces.filter((t) => t.trace.status !== 'passed').length,
    cases: traces.map(({ dir, trace }) => ({
      case: trace.case,
      family: trace.family,
      file: trace.file,
      status: trace.status,
      durationMs: Math.round(trace.durationMs),
      dir,
      ...(trace.error ? { error: trace.error } : {}),
    })),
  };
  if (traces.length) writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  return summary;
}
