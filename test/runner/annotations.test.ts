/**
 * GitHub workflow commands for failures: where each points (the failed expectation's line
 * a trace recorded, a script's `file:line:` error, the `at file:line` of a stack), how text
 * is encoded so that a message cannot end the command early, and when they are printed.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { githubAnnotations, wantAnnotations } from '../../harness/runner/annotations.js';
import { wrongAck as wrongAckRun, wrongAckMessage } from '../report/run-fixtures.js';

const wrongAck = wrongAckRun.trace;
const message = wrongAckMessage;
const props = (line: string) => /^::error ([^:]*)::/.exec(line)![1]!.split(',');

describe('githubAnnotations', () => {
  it('points at the expectation that failed when the trace recorded its line', () => {
    const trace = { ...wrongAck, file: 'cases/x.case.ts', expectations: [{ matcher: 'toHaveSegments', subject: 'wire', expected: '…', outcome: 'failed' as const, line: 42 }] };
    const out = githubAnnotations([{ trace, message }]);
    expect(props(out)).toEqual(['file=cases/x.case.ts', 'line=42', 'title=tcpladder%3A server closes first%2C with a wrong ack [IPv4]']);
  });

  it('else at the place vitest\'s stack gives', () => {
    expect(props(githubAnnotations([{ trace: { ...wrongAck, file: 'cases/tutorial/wrong-ack.case.ts' }, message }])).slice(0, 2)).toEqual(['file=cases/tutorial/wrong-ack.case.ts', 'line=19']);
  });

  it('a packetdrill script: the line its error begins with, in the file the trace names', () => {
    const trace = { ...wrongAck, case: 'x.pkt', file: resolve('cases/packetdrill/x.pkt'), error: 'cases/packetdrill/x.pkt:8: error handling packet: bad value outbound TCP option 2' };
    expect(props(githubAnnotations([{ trace }])).slice(0, 2)).toEqual(['file=cases/packetdrill/x.pkt', 'line=8']);
  });

  it('encodes % and LF in the message, and : and , too in properties; one line per failed run, none for others', () => {
    const trace = { ...wrongAck, case: 'a: b, 100%' };
    const out = githubAnnotations([{ trace, message: 'first: 5%\nsecond, line' }, { trace: { ...wrongAck, status: 'passed' } }]);
    expect(out.split('\n')).toEqual([expect.stringMatching(/,title=tcpladder%3A a%3A b%2C 100%25 \[IPv4\]::first: 5%25%0Asecond, line$/), '']);
  });

  it('a case file that did not run: at the place its error names', () => {
    const out = githubAnnotations([], [{ title: 'cases/y.case.ts did not load', file: 'cases/y.case.ts', message: 'cases/y.case.ts:3:9: hosts: a name twice' }]);
    expect(props(out).slice(0, 2)).toEqual(['file=cases/y.case.ts', 'line=3']);
  });
});

describe('wantAnnotations', () => {
  it('when GITHUB_ACTIONS is set to anything but empty or false', () => {
    expect(wantAnnotations({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(wantAnnotations({})).toBe(false);
    expect(wantAnnotations({ GITHUB_ACTIONS: '' })).toBe(false);
    expect(wantAnnotations({ GITHUB_ACTIONS: 'false' })).toBe(false);
  });
});
