/**
 * What vitest knows about each test, in the shape the run's summary, report and
 * terminal output need: the whole failure message (trace.json keeps only its first
 * line) with the place in the case file where it was raised.
 */
import { shownPath } from './paths.js';
import type { TestCase, TestModule } from 'vitest/node';
import type { CaseTrace } from '../trace/types.js';
import { stripAnsi } from '../report/html-util.js';
import { isInputError } from '../input-error.js';

export interface TestOutcome {
  /** vitest's test name: `<case> [IPv4]` for a case */
  name: string;
  /** absolute path of the test file */
  file: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  durationMs: number;
  /** failure message(s), without colour; set when state is failed */
  message?: string;
  /** it failed on bad input (an InputError), not on what the kernel did */
  input?: boolean;
}

interface ErrorLike {
  message?: string;
  name?: string;
  diff?: string;
  stacks?: ReadonlyArray<{ file: string; line: number; column: number }>;
}

/**
 * Every error's message, its diff when vitest made one, and where in `file` it came
 * from (unless its first line already begins with that place, as bad input's does).
 */
export function failureText(errors: ReadonlyArray<ErrorLike>, file?: string): string {
  return errors
    .map((e) => {
      const parts = [stripAnsi(e.message ?? e.name ?? 'unknown error').replace(/\s+$/, '')];
      if (e.diff) parts.push('', stripAnsi(e.diff));
      const frame = file ? e.stacks?.find((s) => s.file === file) : undefined;
      if (frame && !parts[0].startsWith(`${shownPath(frame.file)}:`)) parts.push('', `at ${shownPath(frame.file)}:${frame.line}:${frame.column}`);
      return parts.join('\n');
    })
    .join('\n\n');
}

export function outcomeOf(test: TestCase): TestOutcome {
  const result = test.result();
  const file = test.module.moduleId;
  return {
    name: test.name,
    file,
    state: result.state,
    durationMs: test.diagnostic()?.duration ?? 0,
    ...(result.state === 'failed' ? { message: failureText(result.errors, file), ...(result.errors.some(isInputError) ? { input: true } : {}) } : {}),
  };
}

/** Every test of the given modules, in file order. */
export function outcomes(modules: ReadonlyArray<TestModule>): TestOutcome[] {
  const out: TestOutcome[] = [];
  for (const m of modules) for (const t of m.children.allTests()) out.push(outcomeOf(t));
  return out;
}

/** Load errors of modules that never got to run their tests (a syntax error in a case file, say). */
export function moduleErrors(modules: ReadonlyArray<TestModule>): { file: string; message: string }[] {
  return modules
    .filter((m) => m.errors().length > 0)
    .map((m) => ({ file: m.moduleId, message: failureText(m.errors(), m.moduleId) }));
}

/** The vitest test name tcpCase gives one family of a case. */
export function testNameOf(trace: Pick<CaseTrace, 'case' | 'family'>): string {
  return `${trace.case} [${trace.family === 'ipv6' ? 'IPv6' : 'IPv4'}]`;
}

/**
 * Pairs each trace with its test: same file, same name. Two cases of one name in
 * one file pair in order. Returns the outcome per trace (undefined when vitest
 * has none, e.g. a trace from a run of another process) and the outcomes no trace claimed.
 */
export function pairTraces<T extends Pick<CaseTrace, 'case' | 'family' | 'file'>>(
  traces: T[],
  tests: TestOutcome[],
): { paired: (TestOutcome | undefined)[]; unpaired: TestOutcome[] } {
  const free = new Set(tests);
  const paired = traces.map((trace) => {
    const name = testNameOf(trace);
    const match = [...free].find((t) => t.file === trace.file && t.name === name);
    if (match) free.delete(match);
    return match;
  });
  return { paired, unpaired: [...free] };
}
