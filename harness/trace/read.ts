/** The trace.json each case of a run wrote, read back from the run's folder. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseTrace } from './types.js';

export interface TracedCase {
  /** folder name inside the run folder */
  dir: string;
  trace: CaseTrace;
}

/** trace.json of every case folder in `runDir`, in folder order. */
export function readTraces(runDir: string): TracedCase[] {
  if (!existsSync(runDir)) return [];
  const out: TracedCase[] = [];
  for (const name of readdirSync(runDir).sort()) {
    const file = join(runDir, name, 'trace.json');
    if (existsSync(file)) out.push({ dir: name, trace: JSON.parse(readFileSync(file, 'utf8')) as CaseTrace });
  }
  return out;
}
