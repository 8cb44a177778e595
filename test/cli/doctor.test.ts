/** tcpladder doctor: the formatting of its checks, and a real run that leaves nothing behind. */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatChecks, runChecks } from '../../harness/cli/doctor.js';
import { compareVersions, type Check } from '../../harness/cli/doctor-checks.js';
import { tcpladder } from './spawn-cli.js';

const check = (name: string, required: boolean, ok: boolean, fix?: string): Check => ({
  name,
  required,
  run: () => ({ ok, detail: ok ? 'fine' : 'missing', ...(fix ? { fix } : {}) }),
});

describe('doctor output', () => {
  it('prints one line per check and the fix under each failure', async () => {
    const lines = await runChecks([
      check('root', true, true),
      check('ethtool', true, false, 'apt-get install -y ethtool'),
      check('chromium', false, false, 'apt-get install -y chromium'),
      { name: 'tracefs', required: true, run: () => { throw new Error('EACCES'); } },
    ]);
    expect(formatChecks(lines, false)).toBe(
      [
        '✓ root      fine',
        '✗ ethtool   missing',
        '    fix: apt-get install -y ethtool',
        '- chromium (optional)  missing',
        '    fix: apt-get install -y chromium',
        '✗ tracefs   probe failed: EACCES',
        '',
        '2 required checks failed',
        '',
      ].join('\n'),
    );
  });

  it('passes when only optional checks fail', async () => {
    const out = formatChecks(await runChecks([check('root', true, true), check('chromium', false, false, 'x')]), false);
    expect(out.endsWith('\nall required checks passed (1 optional missing)\n')).toBe(true);
  });

  it('compares versions numerically', () => {
    expect(compareVersions('v20.20.2', '20.11.0')).toBeGreaterThan(0);
    expect(compareVersions('v20.9.0', '20.11.0')).toBeLessThan(0);
    expect(compareVersions('20.11', '20.11.0')).toBe(0);
  });
});

describe('tcpladder doctor on this machine', () => {
  it('checks everything a run needs, exits 0, and leaves no namespace or tracefs instance', async () => {
    const r = await tcpladder(['doctor']);
    expect(r.stderr).toBe('');
    for (const name of ['root', 'Node.js', 'network namespaces', 'veth', 'nftables', 'ethtool', 'tracefs', 'libpcap (cap)', 'koffi', "relay's C (cc)", 'tcpdump', 'tshark', 'chromium']) {
      expect(r.stdout).toMatch(new RegExp(`^✓ ${name.replace(/[()]/g, '\\$&')}`, 'm'));
    }
    expect(r.stdout.endsWith('\nall required checks passed\n')).toBe(true);
    expect(r.code).toBe(0);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain('tcpl-doctor-');
    expect(readdirSync('/sys/kernel/tracing/instances').filter((n) => n.startsWith('tcpl-doctor-'))).toEqual([]);
  });
});
