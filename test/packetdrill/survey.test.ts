/** scripts/pkt-survey.ts: counts constructs over a folder and lists the refused scripts with their reason. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const survey = (...args: string[]) => execa('node', ['--import', 'tsx', 'scripts/pkt-survey.ts', ...args], { cwd: root, reject: false });

describe('pkt-survey', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tcpl-pkt-survey-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('counts what the fixtures use', async () => {
    const r = await survey('test/packetdrill/fixtures');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^20 scripts, 20 parsed, 0 refused\n/);
    expect(r.stdout).toMatch(/^tcp outbound +20$/m);
    expect(r.stdout).toMatch(/^option accecn +1$/m);
  });

  it('lists refused scripts with their one-line reason, using the folder’s tcpladder.json', async () => {
    writeFileSync(join(tmp, 'ok.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = FD\n');
    writeFileSync(join(tmp, 'bad.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < ipv4 1.1.1.1 > 2.2.2.2: . 1:1(0) win 1\n');
    writeFileSync(join(tmp, 'tcpladder.json'), JSON.stringify({ packetdrill: { variants: { v4: ['-D FD=3 --ip_version=ipv4'] } } }));
    const r = await survey(tmp);
    expect(r.stdout).toContain('2 scripts, 1 parsed, 1 refused');
    expect(r.stdout).toContain(`refused:\n  ${join(tmp, 'bad.pkt')}:2: unsupported: encapsulated packets (ipv4 …:)`);
    expect(r.stdout).toMatch(/^syscall socket +1$/m);
  });

  it('says how to use it when given nothing', async () => {
    const r = await survey();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('usage: node --import tsx scripts/pkt-survey.ts');
  });
});
