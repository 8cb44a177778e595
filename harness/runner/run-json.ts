/** `tcpladder run --json`: the run's summary as one JSON object on stdout. */
import { shownPath } from './paths.js';
import { REPORT_FILE } from './report.js';
import type { RunSummaryFile } from './summary.js';

export interface RunJson {
  version: 1;
  run: string;
  /** the run folder, relative to the working folder */
  dir: string;
  /** report.html inside it, or null when no case ran */
  report: string | null;
  exitCode: number;
  startedAt: string | null;
  durationMs: number | null;
  kernel: string | null;
  node: string;
  passed: number;
  failed: number;
  cases: (Omit<RunSummaryFile['cases'][number], 'file'> & { file: string })[];
  problems: { title: string; file: string; message: string }[];
  /** why there is no summary, when vitest ran no case */
  error?: string;
}

export function runJson(run: string, dir: string, summary: RunSummaryFile | null, exitCode: number, error?: string): RunJson {
  const rel = shownPath;
  return {
    version: 1,
    run,
    dir: rel(dir),
    report: summary ? rel(`${dir}/${REPORT_FILE}`) : null,
    exitCode,
    startedAt: summary?.startedAt ?? null,
    durationMs: summary?.durationMs ?? null,
    kernel: summary?.kernel ?? null,
    node: summary?.node ?? process.version,
    passed: summary?.passed ?? 0,
    failed: summary?.failed ?? 0,
    cases: (summary?.cases ?? []).map((c) => ({ ...c, file: rel(c.file) })),
    problems: (summary?.problems ?? []).map((p) => ({ ...p, file: rel(p.file) })),
    ...(error ? { error } : {}),
  };
}
