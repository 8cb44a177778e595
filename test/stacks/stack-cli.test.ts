// Choosing stacks on the command line: what is refused at once with one line and exit 2,
// and what is refused when a stack's guest does not start (a UML guest given too little
// memory to boot: its console says so).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv, tcpladder } from '../cli/spawn-cli.js';
import { checkInstalled, parseStacks } from '../../harness/cli/stack-args.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpl-stack-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASE = 'cases/handshake/three-way.case.ts';

describe('stacks on the command line', () => {
  it.each([
    [['--stack', 'bsd'], /--stack bsd: unknown stack "bsd" \(stacks: linux, uml, gvisor\)/],
    [['--stack', 'server=gvisr'], /--stack server=gvisr: unknown stack "gvisr"/],
    [['--stacks', 'linux,,uml'], /--stacks linux,,uml: a comma-separated list/],
    [['--stacks', 'linux,linux'], /--stacks linux,linux: a stack is named twice/],
    [['--stack', 'uml', '--stacks', 'linux,uml'], /--stacks and --stack uml both choose the stack of every host/],
    [['--stack', 'gvisor', '--profile', 'short-fin-timeout'], /--profile short-fin-timeout: gvisor has no sysctl net\.ipv4\.tcp_fin_timeout \(stack gvisor\)/],
    [['--stacks', 'linux,uml', '--profile', 'rfc1337', '--profile', 'no-sack'], /--stacks takes a single --profile/],
  ])('tcpladder run %j: one line, exit 2', async (args, message) => {
    const r = await tcpladder(['run', ...args, CASE], cliEnv(join(dir, 'never')));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a stack whose program is missing: the fix in the one line', () => {
    expect(() => checkInstalled(['uml'], () => false)).toThrow(
      'stack uml: /usr/bin/linux.uml not found (fix: apt-get install -y user-mode-linux, or run scripts/setup)',
    );
    expect(() => checkInstalled(['gvisor'], () => false)).toThrow('stack gvisor: /usr/bin/runsc not found (fix: apt-get install -y runsc, or run scripts/setup)');
    expect(() => checkInstalled(parseStacks([], 'linux,uml').matrix!, (p) => p !== '/usr/bin/linux.uml')).toThrow(/stack uml/);
  });

  it('a stack whose guest does not start: one line with its console\'s last, exit 2, nothing run', async () => {
    const runDir = join(dir, 'noboot');
    const r = await tcpladder(['run', '--stack', 'uml', CASE], cliEnv(runDir, { TCPLADDER_UML_MEM: '4M' }));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^tcpladder run: stack uml: its guest does not start: uml guest \S+ exited while starting \(1\); its console's last line: Too few physical memory/m);
  }, 180_000);
});
