/** run --profile A --profile B: one run per profile, each in its own folder with its own run id, then the diff. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProfiles, withoutProfiles } from '../../harness/cli/profile-runs.js';
import { fixturePath } from '../diff/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpl-profile-runs-'));
const saved = { run: process.env.TCPLADDER_RUN, dir: process.env.TCPLADDER_RUN_DIR };
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  for (const [k, v] of [['TCPLADDER_RUN', saved.run], ['TCPLADDER_RUN_DIR', saved.dir]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('tcpladder run --profile A --profile B', () => {
  it('drops every --profile from the arguments, whatever its form', () => {
    expect(withoutProfiles(['cases', '--profile', 'a', '--fast', '--profile=b', '--', '--profile'])).toEqual(['cases', '--fast', '--', '--profile']);
  });

  it('runs once per profile in its own folder and prints the diff of the bundles; the exit code is the runs’', async () => {
    const calls: { argv: string[]; run: string; dir: string }[] = [];
    const bundles = [fixturePath('bundles/this-kernel.json'), fixturePath('bundles/other-kernel.json')];
    let out = '';
    const code = await runProfiles(
      ['linux-default', 'no-timestamps'],
      ['cases/close', '--profile', 'linux-default', '--quiet', '--profile', 'no-timestamps'],
      { stdout: (s) => void (out += s), stderr: (s) => void (out += s) },
      async (argv) => {
        const run = process.env.TCPLADDER_RUN!;
        const dir = process.env.TCPLADDER_RUN_DIR!;
        calls.push({ argv, run, dir });
        mkdirSync(dir, { recursive: true });
        copyFileSync(bundles[calls.length - 1], join(dir, 'bundle.json'));
        return calls.length === 1 ? 0 : 1; // the second run had a failing case
      },
      tmp,
    );
    expect(calls.map((c) => c.argv)).toEqual([
      ['cases/close', '--quiet', '--profile', 'linux-default'],
      ['cases/close', '--quiet', '--profile', 'no-timestamps'],
    ]);
    expect(calls[0].run).not.toBe(calls[1].run);
    expect(calls.map((c) => c.dir)).toEqual([join(tmp, `${calls[0].run}-linux-default`), join(tmp, `${calls[1].run}-no-timestamps`)]);
    expect(code).toBe(1);
    expect(out).toContain('━━ profile linux-default (1/2)');
    expect(out).toContain('━━ diff: linux-default (A) → no-timestamps (B)');
    expect(out).toContain('  + client > server SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7>   ≠ opts');
  });

  it('stops when a run cannot start (bad usage, interrupted)', async () => {
    let runs = 0;
    const code = await runProfiles(['a', 'b'], [], { stdout: () => {}, stderr: () => {} }, async () => (++runs, 2), tmp);
    expect([code, runs]).toEqual([2, 1]);
  });
});
