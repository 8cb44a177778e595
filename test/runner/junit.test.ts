/** JUnit XML and summary.json from traces recorded by real runs (test/report/fixtures/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSummary, type TracedCase } from '../../harness/runner/summary.js';
import { renderJunit } from '../../harness/runner/junit.js';
import { pairTraces, testNameOf, type TestOutcome } from '../../harness/runner/results.js';
import { runExitCode } from '../../harness/runner/exit.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { bySelector, findAll, parseXml, textOf } from '../report/xml.js';

const fixture = (name: string) => new URL(`../report/fixtures/${name}`, import.meta.url);
/** The fixtures were recorded in /work/main; place their case files under this checkout. */
const trace = (name: string): CaseTrace => {
  const t = JSON.parse(readFileSync(fixture(`${name}.trace.json`), 'utf8')) as CaseTrace;
  return { ...t, file: join(process.cwd(), t.file.replace(/^.*?\/cases\//, 'cases/')) };
};
const message = readFileSync(fixture('wrong-ack-ipv4.message.txt'), 'utf8');

const traces: TracedCase[] = [
  { dir: 'three-way-handshake-ipv4', trace: trace('three-way-handshake-ipv4') },
  { dir: 'wrong-ack-ipv4', trace: trace('wrong-ack-ipv4') },
];
const outcome = (t: CaseTrace, more: Partial<TestOutcome> = {}): TestOutcome => ({
  name: testNameOf(t),
  file: t.file,
  state: t.status === 'failed' ? 'failed' : 'passed',
  durationMs: t.durationMs,
  ...more,
});
const tests = [outcome(traces[0]!.trace), outcome(traces[1]!.trace, { message })];
const summary = buildSummary({ run: 'abc12', startedAt: new Date(Date.now() - 5000), traces, tests });

function parse(xml: string) {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  return parseXml(xml.replace(/^<\?xml[^>]*\?>\n/, ''));
}

describe('summary.json', () => {
  it('counts passed and failed cases and keeps the whole message of a failure', () => {
    expect(summary).toMatchObject({ version: 1, run: 'abc12', passed: 1, failed: 1 });
    expect(summary.cases[0]).not.toHaveProperty('message');
    expect(summary.cases[1]!.error).toBe('the wire does not match: pattern 5: ack: expected 5, got 6');
    expect(summary.cases[1]!.message).toBe(message);
    expect(summary.durationMs).toBeGreaterThanOrEqual(5000);
    expect(summary.problems).toBeUndefined();
  });

  it('reports failed case tests that left no trace, and case files that did not load', () => {
    const orphan: TestOutcome = { name: 'x [IPv4]', file: '/w/cases/x.case.ts', state: 'failed', durationMs: 1, message: 'boom' };
    const unit: TestOutcome = { name: 'a unit test', file: '/w/test/a.test.ts', state: 'failed', durationMs: 1, message: 'no' };
    const s = buildSummary({ run: 'r', startedAt: new Date(), traces, tests: [...tests, orphan, unit], moduleErrors: [{ file: '/w/cases/y.case.ts', message: 'SyntaxError' }] });
    expect(s.problems).toEqual([
      { title: 'x [IPv4]', file: '/w/cases/x.case.ts', message: 'boom' },
      { title: '/w/cases/y.case.ts did not load', file: '/w/cases/y.case.ts', message: 'SyntaxError' },
    ]);
  });

  it('pairs traces with tests by file and name, in order for repeated names', () => {
    const t = traces[0]!.trace;
    const a = outcome(t, { durationMs: 1 });
    const b = outcome(t, { durationMs: 2 });
    const other = outcome({ ...t, file: '/elsewhere.case.ts' });
    const { paired, unpaired } = pairTraces([t, t, { ...t, family: 'ipv6' }], [other, a, b]);
    expect(paired).toEqual([a, b, undefined]);
    expect(unpaired).toEqual([other]);
  });
});

describe('renderJunit', () => {
  const xml = parse(renderJunit(summary, '/tmp/run'));

  it('has one testcase per case and family, grouped by case file', () => {
    expect(xml.name).toBe('testsuites');
    expect(xml.attrs).toMatchObject({ name: 'tcpladder run abc12', tests: '2', failures: '1', errors: '0' });
    const suites = findAll(xml, bySelector('testsuite'));
    expect(suites.map((s) => [s.attrs['name'], s.attrs['tests'], s.attrs['failures']])).toEqual([
      ['cases/handshake/three-way.case.ts', '1', '0'],
      ['cases/tutorial/wrong-ack.case.ts', '1', '1'],
    ]);
    const cases = findAll(xml, bySelector('testcase'));
    expect(cases.map((c) => c.attrs['name'])).toEqual(['three-way handshake [IPv4]', 'server closes first, with a wrong ack [IPv4]']);
    expect(Number(cases[0]!.attrs['time'])).toBeCloseTo(traces[0]!.trace.durationMs / 1000, 0);
  });

  it('puts the whole failure, table and ladder, in <failure> with its first line as the message', () => {
    const failures = findAll(xml, bySelector('failure'));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.attrs['message']).toBe('the wire does not match: pattern 5: ack: expected 5, got 6');
    const body = textOf(failures[0]!);
    expect(body).toContain('✗ server > client ACK seq=1 ack=6');
    expect(body).toContain('observed ladder:');
    expect(textOf(findAll(xml, bySelector('system-out'))[1]!)).toBe('captures: /tmp/run/wrong-ack-ipv4/ (wire.pcap, trace.json, ladder.txt)');
  });

  it('types a failure on bad input InputError, any other AssertionError', () => {
    expect(findAll(xml, bySelector('failure'))[0]!.attrs['type']).toBe('AssertionError');
    const bad = { ...summary.cases[1]!, errorKind: 'input' as const, error: 'cases/x.case.ts:6:16: listen: port 70000 is out of range (1–65535)' };
    const failure = findAll(parse(renderJunit({ ...summary, cases: [bad] }, '/tmp/run')), bySelector('failure'))[0]!;
    expect(failure.attrs['type']).toBe('InputError');
    expect(failure.attrs['message']).toBe('cases/x.case.ts:6:16: listen: port 70000 is out of range (1–65535)');
  });

  it('escapes markup and drops terminal escapes and characters XML cannot hold', () => {
    const evil = { ...summary.cases[1]!, case: 'a <b> & "c"', message: '\u001b[31m<fail> & \u0007bell\u001b[39m' };
    const out = renderJunit({ ...summary, cases: [evil] }, '/tmp/run');
    const x = parse(out);
    expect(findAll(x, bySelector('testcase'))[0]!.attrs['name']).toBe('a <b> & "c" [IPv4]');
    expect(textOf(findAll(x, bySelector('failure'))[0]!)).toBe('<fail> & bell');
  });

  it('reports a case file that did not load as an <error>', () => {
    const out = parse(renderJunit({ ...summary, problems: [{ title: 'cases/y.case.ts did not load', file: '/w/cases/y.case.ts', message: 'SyntaxError: x\n  at y' }] }, '/tmp/run'));
    expect(out.attrs['errors']).toBe('1');
    const error = findAll(out, bySelector('error'))[0]!;
    expect(error.attrs['message']).toBe('SyntaxError: x');
  });
});

describe('runExitCode', () => {
  it('is 0 only when every case passed and vitest agreed', () => {
    const passed = { ...summary, failed: 0, cases: [summary.cases[0]!] };
    expect(runExitCode(passed, 0)).toBe(0);
    expect(runExitCode(passed, 1)).toBe(1); // e.g. an unhandled error
    expect(runExitCode(summary, 1)).toBe(1);
    expect(runExitCode({ ...passed, problems: [{ title: 't', file: 'f', message: 'm' }] }, 1)).toBe(1);
    expect(runExitCode(null, 0)).toBe(1);
    expect(runExitCode(null, 130)).toBe(130);
    // interrupted after some cases ended: the signal's code, not theirs
    expect(runExitCode(passed, 130)).toBe(130);
    expect(runExitCode(summary, 143)).toBe(143);
  });

  // a case whose case file asked for something impossible, as its trace.json records it
  const bad: CaseTrace = {
    ...traces[0]!.trace,
    status: 'failed',
    error: 'cases/handshake/three-way.case.ts:9:16: listen: port 70000 is out of range (1–65535)',
    errorKind: 'input',
  };
  const withBad = (more: TracedCase[]) => buildSummary({ run: 'r', startedAt: new Date(), traces: [...more, { dir: 'bad-ipv4', trace: bad }] });

  it('summary.json keeps which failures were bad input', () => {
    const s = withBad(traces);
    expect(s.cases.map((c) => c.errorKind)).toEqual([undefined, undefined, 'input']);
    expect(s.cases[2]).toMatchObject({ status: 'failed', error: bad.error, errorKind: 'input' });
  });

  it('is 2 when a case failed on bad input, whatever else failed: the results are incomplete', () => {
    expect(runExitCode(withBad([]), 1)).toBe(2);
    expect(runExitCode(withBad([traces[0]!]), 1)).toBe(2);
    // a kernel-behaviour failure (wrong-ack) beside it does not make it 1
    expect(runExitCode(withBad(traces), 1)).toBe(2);
    expect(runExitCode({ ...withBad(traces), problems: [{ title: 't', file: 'f', message: 'm' }] }, 1)).toBe(2);
  });
});
