// scripts/soak's bookkeeping: reading a run's summary.json, the tally over runs, the table.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun, tally, formatTally, runClean, type RunOutcome } from '../../scripts/soak-lib.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpladder-soak-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summary(name: string, cases: { case: string; family: string; status: string; error?: string; dir?: string }[], problems?: unknown[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'summary.json'), JSON.stringify({ version: 1, passed: 0, failed: 0, cases, ...(problems ? { problems } : {}) }));
  return d;
}

function outcome(label: string, d: string, exit: number): RunOutcome {
  return { label, phase: 'sequential', run: label, dir: d, exit, signal: null, seconds: 1, ...readRun(d) };
}

describe('soak bookkeeping', () => {
  it('reads cases and problems from summary.json, and says when there is none', () => {
    const d = summary('a', [{ case: 'x', family: 'ipv4', status: 'passed' }], [{ title: 'y.case.ts did not load', file: 'y.case.ts', message: 'SyntaxError: z\n  at …' }]);
    expect(readRun(d)).toEqual({ cases: [{ key: 'x [IPv4]', status: 'passed' }], problems: ['y.case.ts did not load: SyntaxError: z'] });
    expect(readRun(join(dir, 'missing'))).toEqual({ cases: [], problems: [`no summary.json in ${join(dir, 'missing')}`] });
  });

  it('tallies passes and failures per case over runs, failures first, and counts clean runs', () => {
    const r1 = outcome('seq-01', summary('r1', [
      { case: 'x', family: 'ipv4', status: 'passed' },
      { case: 'x', family: 'ipv6', status: 'failed', error: 'case timed out after 20 s', dir: 'x-ipv6' },
    ]), 1);
    const r2 = outcome('seq-02', summary('r2', [
      { case: 'x', family: 'ipv4', status: 'passed' },
      { case: 'x', family: 'ipv6', status: 'passed' },
    ]), 0);
    const r3 = outcome('pair-01a', summary('r3', [{ case: 'x', family: 'ipv4', status: 'passed' }]), 0);
    r3.problems.push('left behind: netns tcpl-r3-1-1-wire');
    const t = tally([r1, r2, r3]);
    expect(t.runs).toBe(3);
    expect(t.cleanRuns).toBe(1);
    expect(runClean(r2)).toBe(true);
    expect(t.cases.map((c) => [c.key, c.passed, c.failed])).toEqual([
      ['x [IPv6]', 1, 1],
      ['x [IPv4]', 3, 0],
    ]);
    expect(t.cases[0].failures).toEqual([{ run: 'seq-01', error: 'case timed out after 20 s', dir: join(dir, 'r1', 'x-ipv6') }]);
    const text = formatTally(t);
    expect(text).toContain('x [IPv6]       1       1');
    expect(text).toContain('3 runs, 1 clean; 4 case passes, 1 case failures; 1 other problems');
    expect(text).toContain('✗ seq-01  x [IPv6]: case timed out after 20 s');
    expect(text).toContain('✗ pair-01a  left behind: netns tcpl-r3-1-1-wire');
  });

  it('a run that exits non-zero with every case passed is a problem, not clean', () => {
    const r = outcome('seq-03', summary('r4', [{ case: 'x', family: 'ipv4', status: 'passed' }]), 130);
    expect(runClean(r)).toBe(false);
    expect(tally([r]).problems).toEqual([{ run: 'seq-03', problem: 'exit 130 although every case passed' }]);
  });
});
