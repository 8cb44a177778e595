/** The progress reporter of `tcpladder run`, fed the objects vitest hands it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TestCase, TestModule, TestSpecification } from 'vitest/node';
import TcpladderReporter from '../../harness/runner/reporter.js';
import { wantColour } from '../../harness/runner/colour.js';

const failure = readFileSync(new URL('../report/fixtures/wrong-ack-ipv4.message.txt', import.meta.url), 'utf8').replace(/\n\nat cases\/.*$/, '');
const FILE = `${process.cwd()}/cases/tutorial/wrong-ack.case.ts`;

interface FakeTest {
  name: string;
  state: 'passed' | 'failed' | 'skipped';
  ms: number;
  message?: string;
  /** the error's code, e.g. TCPL_INPUT for bad input */
  code?: string;
}

function fakeModule(tests: FakeTest[], errors: { message: string }[] = []) {
  const module = {
    moduleId: FILE,
    errors: () => errors,
    children: { *allTests() { yield* cases; } },
  };
  const cases = tests.map((t) => ({
    name: t.name,
    module,
    diagnostic: () => ({ duration: t.ms }),
    meta: () => ({}),
    result: () =>
      t.state === 'failed'
        ? { state: 'failed', errors: [{ message: t.message!, ...(t.code ? { code: t.code } : {}), stacks: [{ file: FILE, line: 19, column: 3, method: '' }] }] }
        : { state: t.state },
  }));
  return { module: module as unknown as TestModule, cases: cases as unknown as TestCase[] };
}

function run(opts: { quiet?: boolean; colour?: boolean; annotations?: boolean }, tests: FakeTest[], errors: { message: string }[] = []): string {
  let out = '';
  const r = new TcpladderReporter({ runDir: '', ...opts, write: (s) => (out += s) });
  const { module, cases } = fakeModule(tests, errors);
  r.onTestRunStart([{ moduleId: FILE }, { moduleId: `${FILE}.2` }] as unknown as TestSpecification[]);
  r.onTestModuleCollected(module);
  for (const c of cases) r.onTestCaseResult(c);
  r.onTestModuleEnd(module);
  r.onTestRunEnd([module], [], 'failed');
  return out;
}

const TESTS: FakeTest[] = [
  { name: 'three-way handshake [IPv4]', state: 'passed', ms: 489 },
  { name: 'server closes first, with a wrong ack [IPv4]', state: 'failed', ms: 3812, message: failure },
  { name: 'TIME_WAIT lasts 60 s [IPv4]', state: 'skipped', ms: 0 },
];

describe('TcpladderReporter', () => {
  it('prints a line per case with n/N, name and time; a failure with its table, ladder and place; a summary', () => {
    const out = run({ colour: false }, TESTS);
    const lines = out.split('\n');
    expect(lines[0]).toBe('running 2 case files');
    // N is what the collected file holds; "+" while a file is not collected yet
    expect(lines[1]).toBe('✓ 1/3+ three-way handshake [IPv4]  489 ms');
    expect(lines[2]).toBe('✗ 2/3+ server closes first, with a wrong ack [IPv4]  3.8 s');
    expect(lines[3]).toBe('    the wire does not match: pattern 5: ack: expected 5, got 6');
    expect(out).toContain('      5  server > client ACK ack=5            ✗ server > client ACK seq=1 ack=6');
    expect(out).toContain('    observed ladder:\n    server closes first, with a wrong ack [ipv4]');
    expect(out).toContain('    at cases/tutorial/wrong-ack.case.ts:19:3\n');
    expect(out).toContain('\n- 3/3+ TIME_WAIT lasts 60 s [IPv4]  skipped\n');
    expect(out).toMatch(/\n1 passed, 1 failed, 1 skipped in \d+ ms\nfailed:\n {2}✗ server closes first, with a wrong ack \[IPv4\] — the wire does not match: pattern 5: ack: expected 5, got 6\n$/);
    expect(out).not.toContain('\u001b[');
  });

  it('--quiet: only failures and the summary', () => {
    const out = run({ quiet: true, colour: false }, TESTS);
    expect(out).not.toContain('running');
    expect(out).not.toContain('three-way handshake');
    expect(out).not.toContain('TIME_WAIT lasts 60 s');
    expect(out.startsWith('✗ 2/3+ server closes first, with a wrong ack [IPv4]')).toBe(true);
    expect(out).toContain('1 passed, 1 failed, 1 skipped in');
  });

  it('colours marks, failures and the mismatch line only when asked', () => {
    const out = run({ colour: true }, TESTS);
    expect(out).toContain('\u001b[32m✓\u001b[39m 1/3+');
    expect(out).toContain('\u001b[31m✗\u001b[39m 2/3+');
    expect(out).toMatch(/\u001b\[31m {6}5 {2}server > client ACK ack=5 .*✗.*\u001b\[39m/);
  });

  it('bad input: one line beginning with the place in the case file, not repeated below; counted in the summary', () => {
    const message = 'cases/tutorial/wrong-ack.case.ts:19:3: listen: port 70000 is out of range (1–65535)\n\nobserved ladder:\n(no ladder)';
    const out = run({ colour: false }, [{ ...TESTS[1]!, message, code: 'TCPL_INPUT' }]);
    expect(out).toContain('✗ 1/1+ server closes first, with a wrong ack [IPv4]  3.8 s\n    cases/tutorial/wrong-ack.case.ts:19:3: listen: port 70000');
    expect(out).not.toContain('at cases/tutorial/wrong-ack.case.ts');
    expect(out).toContain('\n0 passed, 1 failed (1 on bad input) in ');
    expect(out).toContain('  ✗ server closes first, with a wrong ack [IPv4] — cases/tutorial/wrong-ack.case.ts:19:3: listen: port 70000 is out of range (1–65535)\n');
    // the same failure without the mark is not counted as bad input
    expect(run({ colour: false }, [{ ...TESTS[1]!, message }])).toContain('\n0 passed, 1 failed in ');
  });

  it('reports a case file that did not load', () => {
    const out = run({ colour: false }, [], [{ message: 'SyntaxError: Unexpected token (3:7)' }]);
    expect(out).toContain('✗ cases/tutorial/wrong-ack.case.ts did not load\n    SyntaxError: Unexpected token (3:7)\n');
    expect(out).toContain('0 passed, 1 failed in');
  });
});

describe('TcpladderReporter under GitHub Actions', () => {
  it('ends with an ::error line per failure when asked, none otherwise', () => {
    const on = run({ colour: false, annotations: true }, TESTS);
    const errors = on.split('\n').filter((l) => l.startsWith('::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error file=cases\/tutorial\/wrong-ack\.case\.ts,line=19,title=tcpladder%3A server closes first%2C with a wrong ack \[IPv4\]::the wire does not match: pattern 5: ack: expected 5, got 6%0A/);
    expect(on.endsWith('\n')).toBe(true);
    expect(run({ colour: false, annotations: false }, TESTS)).not.toContain('::error');
  });
});

describe('wantColour', () => {
  it('colours a TTY unless NO_COLOR is set (and not empty), never a pipe', () => {
    expect(wantColour({ isTTY: true }, {})).toBe(true);
    expect(wantColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(wantColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(wantColour({ isTTY: false }, {})).toBe(false);
    expect(wantColour({}, {})).toBe(false);
  });
});
