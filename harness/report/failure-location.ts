/**
 * Where in its case file a failed run failed: the line of the expectation that failed
 * (the matchers record it), else the `file:line:` a packetdrill script's error or bad
 * input begins with, else the `at file:line:col` vitest's stack gave, else the file alone.
 */
import { resolve } from 'node:path';
import type { CaseTrace } from '../trace/types.js';
import { stripAnsi } from './html-util.js';

export interface FailureLocation {
  file: string;
  line?: number;
}

const LEADING_PLACE = /^(\S+?\.(?:pkt|case\.ts|json)):(\d+)(?::\d+)?: /;
const STACK_PLACE = /^at (\S+):(\d+):\d+$/m;

/** The `FILE:LINE:` an error's message begins with (a packetdrill script's error, bad input in a file), or null. */
export function leadingPlace(message: string): FailureLocation & { line: number } | null {
  const m = LEADING_PLACE.exec(stripAnsi(message));
  return m ? { file: m[1]!, line: Number(m[2]) } : null;
}

export function failureLocation(trace: Pick<CaseTrace, 'file' | 'error' | 'expectations'>, message?: string): FailureLocation {
  const expectation = trace.expectations?.find((e) => e.outcome === 'failed' && e.line !== undefined);
  if (expectation) return { file: trace.file, line: expectation.line };
  const leading = leadingPlace(trace.error ?? message ?? '');
  // a script's error names it as the user gave it (relative): the trace's path is the one to keep
  if (leading) return { file: resolve(leading.file) === resolve(trace.file) ? trace.file : leading.file, line: leading.line };
  const at = message ? STACK_PLACE.exec(stripAnsi(message)) : null;
  if (at) return { file: at[1]!, line: Number(at[2]) };
  return { file: trace.file };
}

export function formatLocation(l: FailureLocation): string {
  return l.line === undefined ? l.file : `${l.file}:${l.line}`;
}
