/**
 * What became of a case's expectations: each tcpladder matcher writes here how it
 * ended, so that the case can tell which expectation failed (a stack's known-failure
 * list is keyed on it, the report and CI annotations point at it) and which could not
 * be observed at all on the case's stack (neither passed nor failed).
 */

export interface ExpectationRecord {
  /** toHaveSegments, toHaveStates, toPassThrough, toReceive, toFailWith */
  matcher: string;
  /** what was expected: the pattern that did not match, the state list, the errno */
  expected: string;
  /** whose: "the wire", a socket's label, a scripted peer */
  subject: string;
  outcome: 'passed' | 'failed' | 'not observable';
  /** why it failed, or why it cannot be observed */
  reason?: string;
  /** where in the case file (or script) the expectation is, when known */
  line?: number;
}

let current: ExpectationRecord[] | null = null;
let currentFile: string | null = null;

/** Matchers from now on record into a fresh list, for `file` (the case file whose lines are looked for). */
export function beginExpectations(file: string): ExpectationRecord[] {
  current = [];
  currentFile = file;
  return current;
}

export function endExpectations(): void {
  current = null;
  currentFile = null;
}

/** A matcher's outcome; the line is the innermost frame of the caller's stack in the case file. */
export function recordExpectation(r: Omit<ExpectationRecord, 'line'>, stack = new Error().stack ?? ''): void {
  if (!current) return;
  const line = currentFile ? lineIn(stack, currentFile) : null;
  current.push({ ...r, ...(line ? { line } : {}) });
}

function lineIn(stack: string, file: string): number | null {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(?:file://)?${escaped}:(\\d+):\\d+`).exec(stack);
  return m ? Number(m[1]) : null;
}

/** The first expectation that failed: the one a case's failure is about. */
export function firstFailed(records: readonly ExpectationRecord[]): ExpectationRecord | null {
  return records.find((r) => r.outcome === 'failed') ?? null;
}
