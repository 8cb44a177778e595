/**
 * What a CI job shows of a run, from a real `tcpladder run` with failures: a case file
 * whose wire expectation fails, a packetdrill script whose outbound SYN does not match,
 * and a catalogue case that passes, run as under GitHub Actions (GITHUB_ACTIONS and
 * GITHUB_STEP_SUMMARY set) with --summary-md.
 * - summary.md in the run folder, the same at --summary-md, appended to the job summary
 *   after what an earlier step wrote there;
 * - its tables and failures; its Mermaid blocks parsed and drawn by the real mermaid
 *   package in chromium, each failure's segments as messages, in order;
 * - an ::error annotation per failed run, at the line of the expectation that failed in
 *   the case file and at the script line of the packet that did not match.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ladderFromTrace } from '../../harness/report/index.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { CHROMIUM } from '../report/chromium.js';
import { expectLadderDrawn, openMermaidPage, type MermaidPage } from '../report/mermaid-page.js';
import { cliEnv, ROOT, tcpladder, type CliResult } from './spawn-cli.js';
import { WRONG_ACK_CASE, writeWrongAckCase } from './wrong-ack-case.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpl-ci-summary-'));
const runDir = join(tmp, 'run');
const stepSummary = join(tmp, 'step-summary.md');
const copy = join(tmp, 'copy', 'summary.md');
const EARLIER = '### what an earlier step wrote\n';
let run: CliResult;
let caseFile: string;
let expectLine: number;
let script: string;
let packetLine: number;
let mermaid: MermaidPage | undefined;

afterAll(async () => {
  await mermaid?.context.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The 1-based line of the first line of `text` holding `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line holds ${needle}`);
  return i + 1;
}

beforeAll(async () => {
  const cases = join(tmp, 'files');
  mkdirSync(cases);
  ({ file: caseFile, expectLine } = writeWrongAckCase(cases));
  // a catalogue script whose SYN expects an MSS Linux does not send; its defaults beside it as in cases/packetdrill
  mkdirSync(join(cases, 'pkt', 'handshake'), { recursive: true });
  mkdirSync(join(cases, 'pkt', 'common'));
  copyFileSync(join(ROOT, 'cases/packetdrill/common/defaults.sh'), join(cases, 'pkt', 'common', 'defaults.sh'));
  const original = readFileSync(join(ROOT, 'cases/packetdrill/handshake/active-open.pkt'), 'utf8');
  const changed = original.replace(/(> S 0:0\(0\) <mss )1460/, '$11400');
  expect(changed).not.toBe(original);
  script = join(cases, 'pkt', 'handshake', 'active-open-wrong-mss.pkt');
  writeFileSync(script, changed);
  packetLine = lineOf(changed, '<mss 1400');

  mkdirSync(join(tmp, 'copy'));
  writeFileSync(stepSummary, EARLIER);
  run = await tcpladder(
    ['run', cases, 'cases/handshake/three-way.case.ts', '--summary-md', copy, '--quiet'],
    cliEnv(runDir, { NO_COLOR: '1', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary }),
  );
  expect(run.code, run.stdout + run.stderr).toBe(1);
}, 180_000);

describe('summary.md of a run with failures', () => {
  it('is in the run folder, at --summary-md, and appended to $GITHUB_STEP_SUMMARY after what was there', () => {
    const md = readFileSync(join(runDir, 'summary.md'), 'utf8');
    expect(readFileSync(copy, 'utf8')).toBe(md);
    expect(readFileSync(stepSummary, 'utf8')).toBe(`${EARLIER}${md}\n`);
    expect(run.stdout).toMatch(/^summary: .*\/run\/summary\.md \(and .*\/copy\/summary\.md\)$/m);
  });

  it('has the totals, a table per topic and each failure at its place', () => {
    const md = readFileSync(join(runDir, 'summary.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^## ✗ tcpladder run \w+: 4 failed$/);
    expect(md).toContain('3 cases, 6 runs: 2 passed, 4 failed');
    expect(md).toContain('### Other cases: 2 cases, 2 failing (0 passed, 4 failed)');
    expect(md).toContain('<details><summary>Handshake: 1 case, none failing (2 passed, 0 failed)</summary>');
    expect(md).toContain('| ✓ | three-way handshake | ✓ | ✓ |');
    expect(md).toContain(`| ✗ | **${WRONG_ACK_CASE}** | ✗ | ✗ |`);
    expect(md.match(new RegExp(`^\`${caseFile}:${expectLine}\` · linux`, 'gm'))).toHaveLength(2);
    expect(md.match(new RegExp(`^\`${script}:${packetLine}\` · linux`, 'gm'))).toHaveLength(2);
    expect(md).toContain('← ack: expected 7, got 1');
    expect(md).not.toContain('Left out');
  });

  it('has Mermaid blocks that the mermaid package parses and draws: each failure\'s segments as messages, in order', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup installs it)`);
    mermaid = await openMermaidPage(tmp);
    const md = readFileSync(join(runDir, 'summary.md'), 'utf8');
    const failures = md.split(/^### ✗ /m).slice(1);
    expect(failures).toHaveLength(4);
    for (const f of failures) {
      const dir = /files in `(.+?)\/`/.exec(f)![1]!;
      const block = /^```mermaid\n([\s\S]*?)\n```$/m.exec(f);
      expect(block, dir).not.toBeNull();
      const trace = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as CaseTrace;
      expect(trace.segments.length, dir).toBeGreaterThan(0);
      expectLadderDrawn(ladderFromTrace(trace), await mermaid.draw(block![1]!), dir);
    }
    expect(mermaid.requests).toEqual([]);
    expect(mermaid.pageErrors).toEqual([]);
  }, 60_000);
});

describe('GitHub annotations', () => {
  const annotations = () => run.stdout.split('\n').filter((l) => l.startsWith('::'));

  it('one ::error per failed run, at the failed expectation\'s line of the case file or the script line of the packet', () => {
    const props = annotations().map((l) => /^::error file=([^,]+),line=(\d+),title=([^:]+)::(.*)$/.exec(l)!.slice(1));
    const decode = (s: string) => s.replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
    expect(props.map(([file, line, title]) => [file, Number(line), decode(title!)]).sort()).toEqual(
      [
        [caseFile, expectLine, `tcpladder: ${WRONG_ACK_CASE} [IPv4]`],
        [caseFile, expectLine, `tcpladder: ${WRONG_ACK_CASE} [IPv6]`],
        [script, packetLine, expect.stringMatching(/^tcpladder: .*active-open-wrong-mss\.pkt \[IPv4\]$/)],
        [script, packetLine, expect.stringMatching(/^tcpladder: .*active-open-wrong-mss\.pkt \[IPv6\]$/)],
      ].sort(),
    );
    const wire = decode(props.find(([file]) => file === caseFile)![3]!);
    expect(wire.split('\n')[0]).toBe('the wire does not match: pattern 2: ack: expected 7, got 1');
    expect(wire).toContain('expected');
  });
});

describe('--summary-md', () => {
  it('into a folder that does not exist: exit 2, one line naming it, before anything runs', async () => {
    const r = await tcpladder(['run', 'cases/handshake', '--summary-md', join(tmp, 'nowhere', 'summary.md')], cliEnv(join(tmp, 'never')));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--summary-md .*nowhere\/summary\.md: no such folder/)]);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  });
});
