/**
 * runner: the end of a vitest run (summary.json, report.html), the progress
 * reporter `tcpladder run` uses (reporter.ts, loaded by path), and the run's
 * outputs for the command line (JSON, JUnit, exit code). global-setup.ts is
 * vitest's globalSetup.
 */
export { finishRun, type FinishedRun } from './finish.js';
export { buildSummary, readSummary, readTraces, writeSummary, type RunSummaryFile, type SummaryCase, type TracedCase } from './summary.js';
export { writeReport, writeSummaryMd, runReportInput, matrixReportInput, REPORT_FILE, SUMMARY_MD_FILE } from './report.js';
export { renderJunit } from './junit.js';
export { runJson, type RunJson } from './run-json.js';
export { runExitCode } from './exit.js';
export { wantColour, paint, type Paint } from './colour.js';
export { shownPath } from './paths.js';
export { removeLeftovers, endInterruptedRun } from './leftovers.js';
