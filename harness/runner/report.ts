/**
 * The run's pages for people, report.html and summary.md, both drawn from one ReportInput:
 * a run folder's traces with their whole failure messages, or a matrix's stacks' folders.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release, version } from 'node:os';
import { shownPath } from './paths.js';
import { renderReportHtml, renderSummaryMarkdown, type ReportCase, type ReportInput } from '../report/index.js';
import { readSummary, readTraces, type RunSummaryFile, type TracedCase } from './summary.js';
import type { MatrixSummary } from './matrix.js';

export const REPORT_FILE = 'report.html';
export const SUMMARY_MD_FILE = 'summary.md';

function reportCases(summary: RunSummaryFile | null, traces: TracedCase[], prefix = '', stack?: string): ReportCase[] {
  const messages = new Map((summary?.cases ?? []).map((c) => [c.dir, c.message]));
  return traces.map(({ dir, trace }) => {
    const message = messages.get(dir);
    return { dir: prefix + dir, trace: { ...trace, file: shownPath(trace.file) }, ...(message ? { message } : {}), ...(stack ? { stack } : {}) };
  });
}

function problems(summary: RunSummaryFile | null, label = ''): NonNullable<ReportInput['problems']> {
  return (summary?.problems ?? []).map((p) => ({ title: `${label}${p.title} (${shownPath(p.file)})`, message: p.message }));
}

/** A run on one stack (or a merge of shards): its folder's traces and summary.json. */
export function runReportInput(summary: RunSummaryFile, traces: TracedCase[], profile = process.env.TCPLADDER_PROFILE): ReportInput {
  return {
    run: { run: summary.run, startedAt: summary.startedAt, durationMs: summary.durationMs, kernel: summary.kernel, node: summary.node, ...(profile ? { profile } : {}) },
    cases: reportCases(summary, traces),
    problems: problems(summary),
  };
}

/** A matrix run: every stack's folder under `dir`, a column per stack. */
export function matrixReportInput(dir: string, m: MatrixSummary, profile = process.env.TCPLADDER_PROFILE): ReportInput {
  const cases: ReportCase[] = [];
  const found: NonNullable<ReportInput['problems']> = [];
  for (const s of m.stacks) {
    const stackDir = join(dir, s.dir);
    const summary = readSummary(stackDir);
    cases.push(...reportCases(summary, readTraces(stackDir), `${s.dir}/`, s.name));
    found.push(...problems(summary, `${s.name}: `));
  }
  return {
    run: { run: m.run, startedAt: m.startedAt, durationMs: m.durationMs, kernel: `${release()} ${version()}`, node: process.version, ...(profile ? { profile } : {}) },
    cases,
    problems: found,
    matrix: m,
  };
}

/** Writes `dir`/report.html and returns its path. */
export function writeReport(dir: string, input: ReportInput): string {
  const file = join(dir, REPORT_FILE);
  writeFileSync(file, renderReportHtml(input));
  return file;
}

/** Writes `dir`/summary.md and returns its path. */
export function writeSummaryMd(dir: string, input: ReportInput): string {
  const file = join(dir, SUMMARY_MD_FILE);
  writeFileSync(file, renderSummaryMarkdown(input, { where: shownPath(dir) }));
  return file;
}
