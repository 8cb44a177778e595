/**
 * What became of a case's expectations: each tcpladder matcher writes here how it
 * ended, so that the case can tell which expectation failed (a stack's known-failure
 * list is keyed on it, the report and CI annotations point at it) and which could not
 * be observed at all on the case's stack (neither passed nor failed).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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

/**
 * What a case's matchers write to and read from, carried with the case's async work: the
 * two IP versions of a case may run at once in one worker (a slow case's do), each with
 * its own records and time scale.
 */
export interface CaseScope {
  /** the case file whose lines are looked for in a matcher's stack */
  file: string;
  records: ExpectationRecord[];
  /** how much slower the case's stacks are than this machine's kernel (a guest: 2–3×) */
  timeScale: number;
}

const scopes = new AsyncLocalStorage<CaseScope>();

/** A fresh scope for a case of `file`. */
export function newCaseScope(file: string): CaseScope {
  return { file, records: [], timeScale: 1 };
}

/** Run `fn` (a case's body) with its matchers recording into `scope`. */
export function inCaseScope<T>(scope: CaseScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/** The scope of the case whose work is running, if any. */
export function caseScope(): CaseScope | undefined {
  return scopes.getStore();
}

/** A matcher's outcome; the line is the innermost frame of the caller's stack in the case file. */
export function recordExpectation(r: Omit<ExpectationRecord, 'line'>, stack = new Error().stack ?? ''): void {
  const scope = scopes.getStore();
  if (!scope) return;
  const line = lineIn(stack, scope.file);
  scope.records.push({ ...r, ...(line ? { line } : {}) });
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
