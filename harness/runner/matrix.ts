/**
 * The matrix of a run over several stacks (`tcpladder run --stacks …`): a verdict per case
 * and stack, each stack named with what runs it, the listed failures that no longer occur,
 * and each guest stack's differences from linux. captures/<run>/summary.json of such a
 * run is this (kind: "matrix"); each stack's own run is in captures/<run>/<stack>/.
 */
import { knownFailures, type StackName } from '../stacks/index.js';
import type { RunSummaryFile } from './summary.js';

export const MATRIX_FILE = 'summary.json';

export interface MatrixVerdict {
  status: 'passed' | 'failed' | 'known-failure' | 'not-applicable';
  /** the case's folder, relative to the matrix run's folder: <stack>/<case>-<family> */
  dir: string;
  durationMs: number;
  error?: string;
  /** a known failure's or a not-applicable case's reason */
  why?: string;
  /** the stacks the case's hosts ran in this column: another stack than the column's where the case pins one */
  stacks: string[];
}

export interface MatrixSummary {
  version: 1;
  kind: 'matrix';
  run: string;
  startedAt: string;
  durationMs: number;
  stacks: {
    name: StackName;
    /** kernel release (linux, uml) or runsc version (gvisor) */
    version: string;
    /** the stack's own run folder, relative to this one */
    dir: string;
    exitCode: number;
    passed: number;
    failed: number;
    knownFailures: number;
    notApplicable: number;
  }[];
  /** hosts pinned on the command line (--stack HOST=NAME), the same in every column */
  hosts: Record<string, StackName>;
  /** cases whose hosts pin a stack, so a column does not run them (only) on its stack */
  pinned: string[];
  cases: { case: string; family: string; file: string; verdicts: Partial<Record<StackName, MatrixVerdict>> }[];
  /** listed known failures that did not occur (the case passed, or failed otherwise) */
  stale: { stack: StackName; case: string; family?: string; matcher: string; expected: string; why: string }[];
  /** each guest stack's bundle against linux's: differences shown, not judged */
  differences: { stack: StackName; file: string | null; cases: Record<string, { first: string; differences: number; accepted: number }>; error?: string }[];
  problems: { stack: StackName; title: string; file: string; message: string }[];
}

export interface StackRun {
  stack: StackName;
  summary: RunSummaryFile | null;
  exitCode: number;
  version: string;
}

export function buildMatrix(input: {
  run: string;
  startedAt: Date;
  stacks: StackRun[];
  hosts: Record<string, StackName>;
  stale: MatrixSummary['stale'];
  diffs: MatrixSummary['differences'];
}): MatrixSummary {
  const cases = new Map<string, MatrixSummary['cases'][number]>();
  const pinned = new Set<string>();
  for (const r of input.stacks) {
    for (const c of r.summary?.cases ?? []) {
      const key = `${c.file}\u0000${c.case}\u0000${c.family}`;
      let row = cases.get(key);
      if (!row) cases.set(key, (row = { case: c.case, family: c.family, file: c.file, verdicts: {} }));
      const stacks = c.stacks ?? ['linux'];
      if (stacks.some((s) => s !== r.stack && s !== 'linux')) pinned.add(`${c.case} (${stacks.join(', ')})`);
      row.verdicts[r.stack] = {
        status: c.status,
        dir: `${r.stack}/${c.dir}`,
        durationMs: c.durationMs,
        ...(c.error ? { error: c.error } : {}),
        ...(c.why ? { why: c.why } : {}),
        stacks,
      };
    }
  }
  const count = (r: StackRun, s: string) => r.summary?.cases.filter((c) => c.status === s).length ?? 0;
  return {
    version: 1,
    kind: 'matrix',
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    durationMs: Date.now() - input.startedAt.getTime(),
    stacks: input.stacks.map((r) => ({
      name: r.stack,
      version: r.version,
      dir: r.stack,
      exitCode: r.exitCode,
      passed: count(r, 'passed'),
      failed: count(r, 'failed'),
      knownFailures: count(r, 'known-failure'),
      notApplicable: count(r, 'not-applicable'),
    })),
    hosts: input.hosts,
    pinned: [...pinned].sort(),
    cases: [...cases.values()],
    stale: input.stale,
    differences: input.diffs,
    problems: input.stacks.flatMap((r) => (r.summary?.problems ?? []).map((p) => ({ stack: r.stack, ...p }))),
  };
}

/**
 * Entries of a stack's known-failure list for cases that ran on it and did not fail as
 * listed: the case passed, or failed on another expectation (then it is a new failure too).
 */
export function staleKnownFailures(runs: StackRun[], dir: string): MatrixSummary['stale'] {
  const out: MatrixSummary['stale'] = [];
  for (const r of runs) {
    if (!r.summary) continue;
    for (const k of knownFailures(r.stack, dir)) {
      const ran = r.summary.cases.filter((c) => c.case === k.case && (k.family === undefined || c.family === k.family) && (c.stacks ?? []).includes(r.stack));
      if (ran.length === 0) continue;
      const occurred = ran.some((c) => c.status === 'known-failure' && c.known?.matcher === k.matcher && c.known?.expected === k.expected);
      if (!occurred) out.push({ stack: r.stack, case: k.case, ...(k.family ? { family: k.family } : {}), matcher: k.matcher, expected: k.expected, why: k.why });
    }
  }
  return out;
}
