/**
 * `tcpladder run` as a user runs it: bad usage exits 2 with one line, a real run of
 * cases/handshake prints progress, a JSON summary and JUnit XML, and writes its report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../harness/runner/run-json.js';
import { bySelector, findAll, parseXml, textOf } from '../report/xml.js';
import { cliEnv, tcpladder } from './spawn-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpl-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.concurrent('tcpladder run: usage', () => {
  it.each([
    [['run', '--bogus'], 'tcpladder run: unknown option --bogus'],
    [['run', '--junit'], 'tcpladder run: --junit needs a value'],
    [['run', 'no/such/cases'], 'tcpladder run: no such case file or folder: no/such/cases'],
    [['run', '--junit', '/no/such/folder/j.xml', 'cases/handshake'], 'tcpladder run: --junit /no/such/folder/j.xml: no such folder /no/such/folder'],
    [['run', 'package.json'], 'tcpladder run: package.json: case files end in .case.ts, packetdrill scripts in .pkt'],
    [['run', '--workers', '0'], 'tcpladder run: --workers 0: a whole number from 1 to 64'],
    [['run', '--workers', 'many'], 'tcpladder run: --workers many: a whole number from 1 to 64'],
    [['run', '--shard', '4/3'], 'tcpladder run: --shard 4/3: I/N with 1 ≤ I ≤ N ≤ 1000, e.g. 2/3'],
    [['run', '--shard', '1/2', '--stacks', 'linux,uml'], 'tcpladder run: --shard and --stacks: give one (tcpladder merge joins runs on one stack)'],
    [['merge'], 'tcpladder merge: give the run folders to merge (tcpladder merge --help)'],
    [['frobnicate'], 'tcpladder: unknown command "frobnicate" (try tcpladder --help)'],
  ])('%j exits 2 with one line on stderr', async (args, line) => {
    const r = await tcpladder(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe('');
  });

  it('documents the exit codes in each command\'s --help', async () => {
    for (const cmd of ['run', 'doctor', 'merge']) {
      const r = await tcpladder([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.+\n {2}2 {2}bad usage/);
    }
    expect((await tcpladder(['help', 'run'])).stdout).toContain('--junit FILE');
    expect((await tcpladder(['--help'])).stdout).toContain('tcpladder doctor');
    expect((await tcpladder(['--help'])).stdout).toContain('tcpladder merge DIR…');
    expect((await tcpladder(['run', '--help'])).stdout).toMatch(/--summary-md FILE[\s\S]*--shard I\/N/);
  });
});

describe('tcpladder run: a real run of cases/handshake', () => {
  it('--json: progress on stderr, the summary as JSON on stdout, --junit FILE written', async () => {
    const dir = join(tmp, 'json-run');
    const junit = join(tmp, 'junit.xml');
    const r = await tcpladder(['run', 'cases/handshake', '--json', '--junit', junit], cliEnv(dir));
    expect(r.code, r.stderr).toBe(0);

    // progress: one line per case with n/N, name and time; no colour on a pipe
    expect(r.stderr).toMatch(/^✓ 1\/2  three-way handshake \[IPv4\]  (\d+ ms|[\d.]+ s)$/m);
    expect(r.stderr).toMatch(/^✓ 2\/2  three-way handshake \[IPv6\]  (\d+ ms|[\d.]+ s)$/m);
    expect(r.stderr).toMatch(/^2 passed, 0 failed in [\d.]+ (ms|s)$/m);
    expect(r.stderr).not.toContain('\u001b[');

    const json = JSON.parse(r.stdout) as RunJson;
    expect(Object.keys(json).sort()).toEqual(
      ['cases', 'dir', 'durationMs', 'exitCode', 'failed', 'kernel', 'node', 'passed', 'problems', 'report', 'run', 'startedAt', 'version'].sort(),
    );
    expect(json).toMatchObject({ version: 1, dir, report: join(dir, 'report.html'), exitCode: 0, passed: 2, failed: 0, node: process.version, problems: [] });
    expect(json.run).toMatch(/^[a-z0-9]+$/);
    expect(json.cases.map((c) => [c.case, c.family, c.status, c.file, c.dir])).toEqual([
      ['three-way handshake', 'ipv4', 'passed', 'cases/handshake/three-way.case.ts', 'three-way-handshake-ipv4'],
      ['three-way handshake', 'ipv6', 'passed', 'cases/handshake/three-way.case.ts', 'three-way-handshake-ipv6'],
    ]);
    for (const c of json.cases) expect(existsSync(join(dir, c.dir, 'trace.json'))).toBe(true);
    expect(existsSync(json.report!)).toBe(true);

    const xml = parseXml(readFileSync(junit, 'utf8').replace(/^<\?xml[^>]*\?>\n/, ''));
    expect(xml.attrs).toMatchObject({ tests: '2', failures: '0', errors: '0' });
    const cases = findAll(xml, bySelector('testcase'));
    expect(cases.map((c) => c.attrs['name'])).toEqual(['three-way handshake [IPv4]', 'three-way handshake [IPv6]']);
    expect(cases.every((c) => c.attrs['classname'] === 'cases/handshake/three-way.case.ts')).toBe(true);
    expect(findAll(xml, bySelector('failure'))).toHaveLength(0);
    expect(textOf(findAll(xml, bySelector('system-out'))[0]!)).toContain(`${dir}/three-way-handshake-ipv4/`);
  });

  it('--quiet (and --workers 2): no progress lines, only the summary and where the report is', async () => {
    const dir = join(tmp, 'quiet-run');
    const r = await tcpladder(['run', 'cases/handshake/three-way.case.ts', '--quiet', '--workers', '2'], cliEnv(dir, { NO_COLOR: '1' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/✓|running \d+ case file/);
    expect(r.stdout).toMatch(/^2 passed, 0 failed in [\d.]+ (ms|s)\nreport: .+\/report\.html\nsummary: .+\/summary\.md\ncaptures: .+\n$/);
  });
});
