// The run's steps in processes of their own (harness/runner/steps.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finishInChild } from '../../harness/runner/steps.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpladder-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finishInChild', () => {
  it('writes nothing for a run with no trace and no failure', async () => {
    const reply = await finishInChild({ dir, run: 'steps', startedAt: new Date().toISOString(), tests: [], moduleErrors: [] });
    expect(reply).toEqual({ passed: 0, failed: 0, report: null });
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('writes summary.json and report.html for a case file that did not load', async () => {
    const file = join(dir, 'broken.case.ts');
    const reply = await finishInChild({ dir, run: 'steps', startedAt: new Date().toISOString(), tests: [], moduleErrors: [{ file, message: 'SyntaxError: Unexpected token' }] });
    expect(reply.report).toBe(join(dir, 'report.html'));
    expect(existsSync(join(dir, 'summary.json'))).toBe(true);
  });

  it('fails with the step’s own error on bad input', async () => {
    await expect(finishInChild({ dir, run: 'steps', startedAt: 'yesterday', tests: [], moduleErrors: [] })).rejects.toThrow(/writing the run's report failed \(.*steps-main\.ts finish exited 1\): .*startedAt/s);
  });
});
