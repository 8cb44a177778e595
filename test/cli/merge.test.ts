/**
 * `tcpladder run --shard I/N` and `tcpladder merge`, for real: six catalogue case files
 * and a file of our own with three cases (one failing) run once whole and once as three
 * shards. The shards are disjoint and together all the files; merged, they give the same
 * verdicts and the same normalised bundle as the whole run, with report.html and
 * summary.md (also at --summary-md and in the job summary). merge refuses bad input
 * with exit 2 and one line naming the file and field.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffBundles, readBundle, type Bundle } from '../../harness/diff/index.js';
import { listCaseFiles, type ShardRecord } from '../../harness/runner/shard.js';
import type { RunSummaryFile } from '../../harness/runner/index.js';
import { writeCase } from '../reliability/helpers.js';
import { cliEnv, ROOT, tcpladder } from './spawn-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpl-merge-test-'));
const whole = join(tmp, 'whole');
const shardDir = (i: number) => join(tmp, `shard-${i}`);
const merged = join(tmp, 'merged');
const paths = [
  'cases/handshake/three-way.case.ts',
  'cases/close/active-close.case.ts',
  'cases/close/passive-close.case.ts',
  'cases/close/abortive-close.case.ts',
  'cases/close/close-unread-data.case.ts',
  'cases/reset/connection-refused.case.ts',
];

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const verdicts = (s: RunSummaryFile) => s.cases.map((c) => `${c.file} | ${c.case} [${c.family}]: ${c.status}`).sort();
/** The bundle without what differs between two runs of the same cases: the run, its time, and each case's timer lengths. */
const comparable = (b: Bundle) => ({ ...b, run: '', createdAt: '', cases: b.cases.map(({ timers: _timers, ...c }) => c) });

beforeAll(async () => {
  const own = writeCase(
    tmp,
    'three-connections',
    [1, 2, 3]
      .map(
        (n) => `tcpCase('connection ${n}', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(${7000 + n});
  await client.connect(server, ${7000 + n});
  await listener.accept();
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK${n === 2 ? ' ack=7' : ''}', 'client > server ACK']);
});`,
      )
      .join('\n\n'),
  );
  paths.push(own);
  const env = (dir: string) => cliEnv(dir, { NO_COLOR: '1' });
  const all = await tcpladder(['run', ...paths, '--quiet'], env(whole));
  expect(all.code, all.stdout + all.stderr).toBe(1);
  for (const i of [1, 2, 3]) {
    const r = await tcpladder(['run', ...paths, '--shard', `${i}/3`, '--quiet'], env(shardDir(i)));
    expect([0, 1], r.stdout + r.stderr).toContain(r.code);
    expect(r.stdout).toMatch(new RegExp(`^shard ${i}/3: \\d of 7 case files$`, 'm'));
  }
}, 300_000);

describe('run --shard I/N', () => {
  it('runs shares that are disjoint and together every case file, balanced by case count', () => {
    const shards = [1, 2, 3].map((i) => readJson<ShardRecord>(join(shardDir(i), 'shard.json')));
    expect(shards.map((s) => [s.index, s.count])).toEqual([[1, 3], [2, 3], [3, 3]]);
    const files = shards.flatMap((s) => s.files);
    expect(new Set(files).size).toBe(files.length);
    expect(files.sort()).toEqual(listCaseFiles(paths.map((p) => resolve(ROOT, p))).map((f) => relative(ROOT, f)).sort());
    // 9 cases: the file of 3 alone in a shard, the six others 3 and 3
    const weight = (f: string) => (f.endsWith('three-connections.case.ts') ? 3 : 1);
    expect(shards.map((s) => s.files.reduce((n, f) => n + weight(f), 0))).toEqual([3, 3, 3]);
    // each shard ran its files, and only them
    for (const [i, s] of shards.entries()) {
      const ran = new Set(readJson<RunSummaryFile>(join(shardDir(i + 1), 'summary.json')).cases.map((c) => relative(ROOT, resolve(ROOT, c.file))));
      expect([...ran].sort(), `shard ${i + 1}`).toEqual([...s.files].sort());
    }
  });
});

describe('tcpladder merge', () => {
  it('joins the shards into one run folder with the verdicts and the normalised bundle of the whole run', async () => {
    const step = join(tmp, 'step-summary.md');
    const r = await tcpladder(['merge', shardDir(3), shardDir(1), shardDir(2), '--out', merged, '--summary-md', join(tmp, 'merged.md')], cliEnv(undefined, { GITHUB_STEP_SUMMARY: step }));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^merged 3 shards into .*merged\/: 18 case runs, 16 passed, 2 failed$/m);
    const a = readJson<RunSummaryFile>(join(whole, 'summary.json'));
    const b = readJson<RunSummaryFile>(join(merged, 'summary.json'));
    expect(verdicts(b)).toEqual(verdicts(a));
    expect([b.passed, b.failed]).toEqual([a.passed, a.failed]);
    for (const c of b.cases) expect(existsSync(join(merged, c.dir, 'trace.json')), c.dir).toBe(true);
    const [ba, bb] = [readBundle(whole), readBundle(merged)];
    expect(comparable(bb)).toEqual(comparable(ba));
    expect(diffBundles(ba, bb, { a: 'whole', b: 'merged' }).counts).toMatchObject({ cases: 18, same: 18, different: 0 });
    for (const f of ['report.html', 'summary.md']) expect(existsSync(join(merged, f)), f).toBe(true);
    const md = readFileSync(join(merged, 'summary.md'), 'utf8');
    expect(readFileSync(join(tmp, 'merged.md'), 'utf8')).toBe(md);
    expect(readFileSync(step, 'utf8')).toBe(`${md}\n`);
    expect(md).toContain('9 cases, 18 runs: 16 passed, 2 failed');
    expect(md.match(/^### ✗ connection 2 \\\[IPv[46]\\\]$/gm)).toHaveLength(2);
  });

  const refuses = async (args: string[], line: RegExp) => {
    const r = await tcpladder(['merge', ...args, '--out', join(tmp, `refused-${Math.random().toString(36).slice(2)}`)], cliEnv());
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  };

  it('refuses a shard missing, a shard given twice, and a folder that is not a run', async () => {
    await refuses([shardDir(1), shardDir(3)], /shard 2\/3 missing/);
    await refuses([shardDir(1), shardDir(2), shardDir(3), shardDir(2)], new RegExp(`${shardDir(2)}/shard\\.json: index: shard 2/3 is also ${shardDir(2)}`));
    mkdirSync(join(tmp, 'empty'));
    await refuses([join(tmp, 'empty')], new RegExp(`${tmp}/empty: not a tcpladder run folder \\(no summary\\.json\\)`));
  });

  it('refuses a summary.json with a field wrong, naming the file and the field', async () => {
    const bad = join(tmp, 'bad');
    cpSync(shardDir(1), bad, { recursive: true });
    const summary = readJson<RunSummaryFile>(join(bad, 'summary.json'));
    writeFileSync(join(bad, 'summary.json'), JSON.stringify({ ...summary, cases: summary.cases.map((c, i) => (i === 1 ? { ...c, status: 'great' } : c)) }));
    await refuses([bad, shardDir(2), shardDir(3)], new RegExp(`${bad}/summary\\.json: cases\\[1\\]\\.status: `));
  });

  it('refuses to write into a folder that holds something', async () => {
    const r = await tcpladder(['merge', shardDir(1), shardDir(2), shardDir(3), '--out', whole], cliEnv());
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/whole: exists and is not empty/)]);
  });
});

describe('a shard no case file falls to', () => {
  it('writes an empty run folder that merge takes with the others', async () => {
    const file = 'cases/handshake/three-way.case.ts';
    const [one, two] = [join(tmp, 'one-of-two'), join(tmp, 'two-of-two')];
    const empty = await tcpladder(['run', file, '--shard', '2/2'], cliEnv(two, { NO_COLOR: '1' }));
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toMatch(/^shard 2\/2: 0 of 1 case files$/m);
    expect(readJson<RunSummaryFile>(join(two, 'summary.json')).cases).toEqual([]);
    expect(readJson<ShardRecord>(join(two, 'shard.json'))).toEqual({ index: 2, count: 2, files: [] });
    for (const f of ['report.html', 'summary.md']) expect(existsSync(join(two, f)), f).toBe(true);
    const ran = await tcpladder(['run', file, '--shard', '1/2', '--quiet'], cliEnv(one, { NO_COLOR: '1' }));
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const r = await tcpladder(['merge', one, two, '--out', join(tmp, 'merged-two')], cliEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^merged 2 shards into .*: 2 case runs, 2 passed, 0 failed$/m);
  }, 120_000);
});
