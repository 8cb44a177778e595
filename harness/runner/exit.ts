/**
 * The exit code of `tcpladder run`: 0 all passed, 1 a case failed, 2 a case failed on
 * bad input, else what vitest's ending says.
 */
import type { RunSummaryFile } from './summary.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INPUT = 2;

/**
 * `vitestCode` is the child's exit code (130 after a signal). No summary means
 * no case ran: a vitest crash or signal keeps its code, anything else is a failure.
 * A case that failed on bad input (its case file or profile asked for something
 * impossible) makes it 2 whatever else failed: the run's results are incomplete, the
 * same verdict as bad input on the command line.
 */
export function runExitCode(summary: RunSummaryFile | null, vitestCode: number): number {
  // stopped by a signal (130 SIGINT, 143 SIGTERM): said so whatever the cases that ended first did
  if (vitestCode > 128) return vitestCode;
  if (summary === null) return vitestCode > 1 ? vitestCode : EXIT_FAILED;
  if (summary.cases.some((c) => c.errorKind === 'input')) return EXIT_INPUT;
  const failed = summary.failed > 0 || (summary.problems?.length ?? 0) > 0 || vitestCode !== 0;
  return failed ? EXIT_FAILED : EXIT_OK;
}
