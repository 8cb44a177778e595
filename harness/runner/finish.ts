/**
 * The end of a run, in vitest's main process: summary.json, report.html and summary.md
 * from the traces the cases wrote and from what vitest knows about each test.
 */
import { mkdirSync } from 'node:fs';
import type { TestModule } from 'vitest/node';
import { buildSummary, readTraces, writeSummary, type RunSummaryFile } from './summary.js';
import { runReportInput, writeReport, writeSummaryMd } from './report.js';
import { moduleErrors, outcomes } from './results.js';

export interface FinishedRun {
  summary: RunSummaryFile;
  /** path of report.html, or null when nothing ran */
  report: string | null;
}

export function finishRun(runDir: string, run: string, startedAt: Date, modules: ReadonlyArray<TestModule>): FinishedRun {
  const traces = readTraces(runDir);
  const summary = buildSummary({ run, startedAt, traces, tests: outcomes(modules), moduleErrors: moduleErrors(modules) });
  if (traces.length === 0 && !summary.problems) return { summary, report: null };
  mkdirSync(runDir, { recursive: true });
  writeSummary(runDir, summary);
  const input = runReportInput(summary, traces);
  writeSummaryMd(runDir, input);
  return { summary, report: writeReport(runDir, input) };
}
