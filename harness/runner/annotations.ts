/**
 * GitHub Actions annotations: a failed case prints `::error file=…,line=…,title=…::…`,
 * which GitHub shows on that line of the pull request's diff and in the run's summary.
 * The line is that of the expectation that failed in the case file (or the .pkt script's
 * line); see failureLocation. Printed when GITHUB_ACTIONS is set.
 */
import { failureBody, failureLocation, familyLabel } from '../report/index.js';
import type { CaseTrace } from '../trace/types.js';
import { shownPath } from './paths.js';

/** The most lines of a failure message an annotation carries (GitHub shows a few anyway). */
const MESSAGE_LINES = 30;

export function wantAnnotations(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS !== undefined && env.GITHUB_ACTIONS !== '' && env.GITHUB_ACTIONS !== 'false';
}

/** Workflow command data: %, CR and LF encoded. */
function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also : and , encoded. */
function property(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(file: string, line: number | undefined, title: string, message: string): string {
  const props = [`file=${property(shownPath(file))}`, ...(line !== undefined ? [`line=${line}`] : []), `title=${property(title)}`];
  const text = failureBody(message).split('\n').slice(0, MESSAGE_LINES).join('\n');
  return `::error ${props.join(',')}::${data(text)}\n`;
}

export interface FailedRun {
  trace: Pick<CaseTrace, 'case' | 'family' | 'file' | 'error' | 'expectations' | 'hosts' | 'status'>;
  /** the whole failure message, when vitest gave it */
  message?: string;
}

/** One `::error` line per failed run, and one per case file that did not run. */
export function githubAnnotations(runs: FailedRun[], problems: { title: string; file: string; message: string }[] = []): string {
  const lines: string[] = [];
  for (const { trace, message } of runs) {
    if (trace.status !== 'failed') continue;
    const at = failureLocation(trace, message);
    const stacks = [...new Set(trace.hosts.map((h) => h.stack ?? 'linux'))];
    const on = stacks.some((s) => s !== 'linux') ? ` on ${stacks.join(' + ')}` : '';
    lines.push(command(at.file, at.line, `tcpladder: ${trace.case} [${familyLabel(trace.family)}]${on}`, message ?? trace.error ?? 'failed'));
  }
  for (const p of problems) {
    const at = failureLocation({ file: p.file, error: p.message.split('\n')[0] }, p.message);
    lines.push(command(at.file, at.line, `tcpladder: ${p.title}`, p.message));
  }
  return lines.join('');
}
