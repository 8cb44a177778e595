/** report.html for a run folder, from its traces and summary. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shownPath } from './paths.js';
import { renderReportHtml } from '../report/index.js';
import type { RunSummaryFile, TracedCase } from './summary.js';

export const REPORT_FILE = 'report.html';

/** Writes captures/<run>/report.html and returns its path. */
export function writeReport(runDir: string, summary: RunSummaryFile, traces: TracedCase[]): string {
  const messages = new Map(summary.cases.map((c) => [c.dir, c.message]));
  const profile = process.env.TCPLADDER_PROFILE;
  const html = renderReportHtml({
    run: {
      run: summary.run,
      startedAt: summary.startedAt,
      durationMs: summary.durationMs,
      kernel: summary.kernel,
      node: summary.node,
      ...(profile ? { profile } : {}),
    },
    cases: traces.map(({ dir, trace }) => {
      const message = messages.get(dir);
      return { dir, trace: { ...trace, file: shownPath(trace.file) }, ...(message ? { message } : {}) };
    }),
    problems: (summary.problems ?? []).map((p) => ({ title: `${p.title} (${shownPath(p.file)})`, message: p.message })),
  });
  const file = join(runDir, REPORT_FILE);
  writeFileSync(file, html);
  return file;
}
