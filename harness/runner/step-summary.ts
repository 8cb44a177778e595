/**
 * Where summary.md goes besides the run folder: `--summary-md FILE`, and the job summary of
 * a GitHub Actions step when GITHUB_STEP_SUMMARY is set (appended: other steps' output stays).
 */
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';

/** Copies and appends `file`; returns a line for each place it could not go (the run's verdict stands). */
export function publishSummaryMd(file: string, copyTo: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  if (copyTo !== undefined) copyFileSync(file, copyTo);
  const step = env.GITHUB_STEP_SUMMARY;
  if (step) {
    try {
      appendFileSync(step, `${readFileSync(file, 'utf8')}\n`);
    } catch (e) {
      problems.push(`GITHUB_STEP_SUMMARY=${step}: not appended (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  return problems;
}
