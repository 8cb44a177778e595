/**
 * The end of a run (steps-main.ts finish, a process of its own): summary.json, report.html and
 * summary.md from the traces the cases wrote and from what vitest knew about each test.
 */
import { mkdirSync } from 'node:fs';
import { buildSummary, readTraces, writeSummary, type RunSummaryFile, type TracedCase } from './summary.js';
import { runReportInput, writeReport, writeSummaryMd } from './report.js';
import type { TestOutcome } from './results.js';

export interface FinishedRun {
  summary: RunSummaryFile;
  /** the cases' traces, as read for the summary */
  traces: TracedCase[];
  /** path of report.html, or null when nothing ran */
  report: string | null;
}

export function finishRun(runDir: string, run: string, startedAt: Date, tests: TestOutcome[], moduleErrors: { file: string; message: string }[]): FinishedRun {
  const traces = readTraces(runDir);
  const summary = buildSummary({ run, startedAt, traces, tests, moduleErrors });
  if (traces.length === 0 && !summary.problems) return { summary, traces, report: null };
  mkdirSync(runDir, { recursive: true });
  writeSummary(runDir, summary);
  const input = runReportInput(summary, traces);
  writeSummaryMd(runDir, input);
  return { summary, traces, report: writeReport(runDir, input) };
}
