/**
 * A run's cases as people read them: one row per case (its IPv4 and IPv6 runs, on every
 * stack of a matrix, side by side), rows grouped by topic, failures first. report.html
 * and summary.md both draw these.
 */
import type { CaseTrace } from '../trace/types.js';
import { compareTopics, topicOf, type Topic } from './topics.js';

export type Verdict = CaseTrace['status'];

export interface ReportCase {
  /** the case's folder, relative to the page (a matrix: <stack>/<case>-<family>) */
  dir: string;
  trace: CaseTrace;
  /** the whole failure message (trace.json keeps only its first line) */
  message?: string;
  /** the matrix column the run belongs to; unset in a run on one stack */
  stack?: string;
}

/** One place of a row: a family on a stack (stack null: the run's only one). */
export interface Column {
  stack: string | null;
  family: CaseTrace['family'];
}

export interface CaseRow {
  /** the row's element id, its permalink: case-<name as a slug> */
  id: string;
  name: string;
  /** the case file, as the runs' traces name it */
  file: string;
  /** its runs in column order */
  runs: ReportCase[];
  /** the worst verdict of its runs */
  status: Verdict;
}

export interface TopicGroup {
  topic: Topic;
  rows: CaseRow[];
}

const SEVERITY: Record<Verdict, number> = { failed: 0, 'known-failure': 1, passed: 2, 'not-applicable': 3 };

export const VERDICT_WORDS: Record<Verdict, string> = {
  passed: 'passed',
  failed: 'failed',
  'known-failure': 'known failure',
  'not-applicable': 'not applicable',
};

export function countVerdict(cases: ReportCase[], v: Verdict): number {
  return cases.filter((c) => c.trace.status === v).length;
}

/** "2 passed, 1 failed" (known failures and not applicable only when there are some). */
export function tally(cases: ReportCase[]): string {
  return (['passed', 'failed', 'known-failure', 'not-applicable'] as Verdict[])
    .filter((v) => v === 'passed' || v === 'failed' || countVerdict(cases, v) > 0)
    .map((v) => `${countVerdict(cases, v)} ${VERDICT_WORDS[v]}`)
    .join(', ');
}

/** What runs each stack the cases ran on (kernel release, runsc version), from their hosts. */
export function stackVersions(cases: ReportCase[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of cases) for (const h of c.trace.hosts) if (h.stack && h.version) out[h.stack] ??= h.version;
  return out;
}

export function worst(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((w, v) => (SEVERITY[v] < SEVERITY[w] ? v : w), 'not-applicable');
}

export function familyLabel(family: string): string {
  return family === 'ipv6' ? 'IPv6' : 'IPv4';
}

/** The columns the runs fill: stacks in the order given (unknown ones after), IPv4 before IPv6. */
export function columnsOf(cases: ReportCase[], stacks: string[] = []): Column[] {
  const seen = [...new Set(cases.map((c) => c.stack ?? null))];
  const order = (s: string | null) => (s === null ? -1 : stacks.includes(s) ? stacks.indexOf(s) : stacks.length);
  seen.sort((a, b) => order(a) - order(b) || String(a).localeCompare(String(b)));
  const families = [...new Set(cases.map((c) => c.trace.family))].sort();
  return seen.flatMap((stack) => families.map((family) => ({ stack, family })));
}

export function columnIndex(columns: Column[], c: ReportCase): number {
  return columns.findIndex((col) => col.stack === (c.stack ?? null) && col.family === c.trace.family);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/→/g, '-').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'case';
}

/** Topics with a failure first, then in catalogue order; in each, failing rows first, then by file and name. */
export function groupCases(cases: ReportCase[], columns: Column[]): TopicGroup[] {
  const rows = new Map<string, CaseRow>();
  for (const c of cases) {
    const key = `${c.trace.file}\u0000${c.trace.case}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { id: '', name: c.trace.case, file: c.trace.file, runs: [], status: 'not-applicable' }));
    row.runs.push(c);
  }
  const byPlace = (a: CaseRow, b: CaseRow) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name);
  const all = [...rows.values()].sort(byPlace);
  const ids = new Map<string, number>();
  for (const row of all) {
    row.runs.sort((a, b) => columnIndex(columns, a) - columnIndex(columns, b) || a.dir.localeCompare(b.dir));
    row.status = worst(row.runs.map((r) => r.trace.status));
    const base = `case-${slug(row.name)}`;
    const n = (ids.get(base) ?? 0) + 1;
    ids.set(base, n);
    row.id = n === 1 ? base : `${base}-${n}`;
  }
  const groups = new Map<string, TopicGroup>();
  for (const row of all) {
    const topic = topicOf(row.file);
    let g = groups.get(topic.key);
    if (!g) groups.set(topic.key, (g = { topic, rows: [] }));
    g.rows.push(row);
  }
  const failing = (rs: CaseRow[]) => (rs.some((r) => r.status === 'failed') ? 0 : 1);
  for (const g of groups.values()) g.rows.sort((a, b) => failing([a]) - failing([b]) || byPlace(a, b));
  return [...groups.values()].sort((a, b) => failing(a.rows) - failing(b.rows) || compareTopics(a.topic, b.topic));
}
