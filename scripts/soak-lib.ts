/**
 * The soak's bookkeeping, apart from the processes it starts: what one run's
 * summary.json says per case, the tally over many runs, and the table printed at
 * the end. Pure functions, tested in test/reliability/soak.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one `tcpladder run` left: its exit code and, per case and family, passed or failed. */
export interface RunOutcome {
  label: string;
  /** sequential or concurrent (pair n, a or b) */
  phase: 'sequential' | 'concurrent';
  run: string;
  dir: string;
  exit: number | null;
  signal: string | null;
  seconds: number;
  cases: { key: string; status: 'passed' | 'failed'; error?: string; dir?: string }[];
  /** failures without a case: no summary.json, a file that did not load, leftovers */
  problems: string[];
}

interface SummaryShape {
  cases?: { case: string; family: string; status: string; error?: string; dir?: string }[];
  problems?: { title: string; file: string; message: string }[];
}

export function caseKey(name: string, family: string): string {
  return `${name} [${family === 'ipv6' ? 'IPv6' : family === 'ipv4' ? 'IPv4' : family}]`;
}

/** Read `<dir>/summary.json` of one finished run. */
export function readRun(dir: string): Pick<RunOutcome, 'cases' | 'problems'> {
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) return { cases: [], problems: [`no summary.json in ${dir}`] };
  let s: SummaryShape;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as SummaryShape;
  } catch (e) {
    return { cases: [], problems: [`${file}: ${(e as Error).message}`] };
  }
  return {
    cases: (s.cases ?? []).map((c) => ({
      key: caseKey(c.case, c.family),
      status: c.status === 'passed' ? 'passed' : 'failed',
      ...(c.error ? { error: c.error } : {}),
      ...(c.dir ? { dir: c.dir } : {}),
    })),
    problems: (s.problems ?? []).map((p) => `${p.title}: ${p.message.split('\n')[0]}`),
  };
}

export interface CaseTally {
  key: string;
  passed: number;
  failed: number;
  /** run label → first line of the failure */
  failures: { run: string; error: string; dir?: string }[];
}

export interface Tally {
  runs: number;
  cleanRuns: number;
  cases: CaseTally[];
  problems: { run: string; problem: string }[];
}

/** A run is clean when every case passed, nothing else went wrong and it exited 0. */
export function runClean(r: RunOutcome): boolean {
  return r.exit === 0 && r.problems.length === 0 && r.cases.length > 0 && r.cases.every((c) => c.status === 'passed');
}

export function tally(runs: RunOutcome[]): Tally {
  const byKey = new Map<string, CaseTally>();
  for (const r of runs) {
    for (const c of r.cases) {
      let t = byKey.get(c.key);
      if (!t) byKey.set(c.key, (t = { key: c.key, passed: 0, failed: 0, failures: [] }));
      if (c.status === 'passed') t.passed++;
      else {
        t.failed++;
        t.failures.push({ run: r.label, error: c.error ?? 'failed', ...(c.dir ? { dir: join(r.dir, c.dir) } : {}) });
      }
    }
  }
  const problems = runs.flatMap((r) => [
    ...r.problems.map((problem) => ({ run: r.label, problem })),
    ...(r.exit !== 0 && r.problems.length === 0 && r.cases.every((c) => c.status === 'passed')
      ? [{ run: r.label, problem: `exit ${r.exit ?? r.signal} although every case passed` }]
      : []),
  ]);
  return {
    runs: runs.length,
    cleanRuns: runs.filter(runClean).length,
    cases: [...byKey.values()].sort((a, b) => b.failed - a.failed || a.key.localeCompare(b.key)),
    problems,
  };
}

/** The table printed at the end: every case with its passes and failures, failures first. */
export function formatTally(t: Tally): string {
  const width = Math.max(4, ...t.cases.map((c) => c.key.length));
  const lines = [`${'case'.padEnd(width)}  passed  failed`];
  for (const c of t.cases) lines.push(`${c.key.padEnd(width)}  ${String(c.passed).padStart(6)}  ${String(c.failed).padStart(6)}`);
  const failures = t.cases.reduce((n, c) => n + c.failed, 0);
  const passes = t.cases.reduce((n, c) => n + c.passed, 0);
  lines.push('');
  lines.push(`${t.runs} runs, ${t.cleanRuns} clean; ${passes} case passes, ${failures} case failures; ${t.problems.length} other problems`);
  for (const c of t.cases) {
    for (const f of c.failures) lines.push(`  ✗ ${f.run}  ${c.key}: ${f.error}${f.dir ? `\n      ${f.dir}` : ''}`);
  }
  for (const p of t.problems) lines.push(`  ✗ ${p.run}  ${p.problem}`);
  return lines.join('\n') + '\n';
}
