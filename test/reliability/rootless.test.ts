// Least privilege for real: `tcpladder run` as an unprivileged user (nobody) runs
// rootless — in a user namespace of its own, hosts, wire and capture as with root,
// states sampled through sock_diag — passes, says where each state came from, and
// leaves nothing behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, settledLeftovers, tempDir, tcpladder, freshEnv, newRunId, until } from './helpers.js';
import { runProcesses } from '../../scripts/leftovers.js';
import type { CaseTrace } from '../../harness/trace/types.js';

const NOBODY = 65534;
const CASES = [
  'cases/handshake/three-way.case.ts',
  'cases/reset/connection-refused.case.ts',
  'cases/close/active-close.case.ts',
  'cases/close/abortive-close.case.ts',
  'cases/simultaneous/simultaneous-open.case.ts',
  'cases/reset/rst-in-syn-rcvd.case.ts',
  'cases/options/option-layout.case.ts',
];

let tmp: ReturnType<typeof tempDir>;
let tree: string;

/** Every path below `dir` (symlinks not followed) owned by `uid`. */
function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}

beforeAll(() => {
  // a checkout the user may read and write (vitest and the sidecar's bundle cache write
  // under node_modules/), packages copied: this checkout may sit where nobody cannot go (/root)
  tmp = tempDir('rootless');
  tree = join(tmp.dir, 'tree');
  mkdirSync(tree, { recursive: true });
  // the checkout's files (a git clone or a snapshot without .git), not its captures
  execFileSync('tar', ['-C', ROOT, '--exclude=./node_modules', '--exclude=./captures', '--exclude=./.git', '-cf', join(tmp.dir, 'tree.tar'), '.']);
  execFileSync('tar', ['-C', tree, '-xf', join(tmp.dir, 'tree.tar')]);
  execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(tree, 'node_modules')]);
  for (const e of ['.cache', '.vite', '.vite-temp']) rmSync(join(tree, 'node_modules', e), { recursive: true, force: true });
  chownTree(tmp.dir, NOBODY);
});

afterAll(() => tmp?.remove());

describe('rootless', () => {
  it('as nobody: the cases run in a user namespace, pass, with sampled states, and nothing is left', async () => {
    const runDir = join(tmp.dir, 'run');
    const c = tcpladder(['run', ...CASES], { cwd: tree, uid: NOBODY, runDir, env: { HOME: tmp.dir } });
    const { code } = await c.done;
    const out = c.stdout() + c.stderr();
    expect(out, out).toContain('tcpladder: rootless run in a user namespace');
    expect(code, out).toBe(0);
    expect(out).toMatch(/(\d+) passed, 0 failed/);

    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { passed: number; failed: number; cases: { dir: string }[] };
    expect(summary.failed).toBe(0);
    expect(summary.passed).toBe(summary.cases.length);
    expect(summary.passed).toBeGreaterThanOrEqual(CASES.length * 2);
    expect(lstatSync(join(runDir, 'summary.json')).uid).toBe(NOBODY);
    let sampled = 0;
    for (const k of summary.cases) {
      const trace = JSON.parse(readFileSync(join(runDir, k.dir, 'trace.json'), 'utf8')) as CaseTrace;
      expect(trace.states?.source, k.dir).toBe('sampled');
      expect(trace.states?.sampleMs?.samples, k.dir).toBeGreaterThan(1);
      expect(trace.kernelEvents, k.dir).toEqual([]);
      for (const s of trace.sockets) for (const t of s.transitions) {
        expect(t.source, `${k.dir} ${s.label}`).toBe('sampled');
        sampled++;
      }
      expect(readFileSync(join(runDir, k.dir, 'ladder.txt'), 'utf8')).toContain('(sampled)');
    }
    expect(sampled).toBeGreaterThan(CASES.length * 2);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 180_000);
});

describe('rootless: stopped in the middle', () => {
  it('SIGTERM to tcpladder while a case runs: exit 143, and the whole user namespace is gone with its processes', async () => {
    const runDir = join(tmp.dir, 'term');
    const c = tcpladder(['run', 'cases/close'], { cwd: tree, uid: NOBODY, runDir, env: { HOME: tmp.dir } });
    // a case is under way once its capture sidecar runs
    const sidecar = () => runProcesses(c.run).some((p) => p.cmd.includes('sidecar'));
    expect(await until(sidecar, 60_000), c.stdout() + c.stderr()).toBe(true);
    c.child.kill('SIGTERM');
    const { code, signal } = await c.done;
    expect(code ?? signal).toBe(143);
    expect(await settledLeftovers(c)).toEqual([]);
    expect(runProcesses(c.run)).toEqual([]);
  }, 120_000);
});

describe('where even a user namespace is not allowed', () => {
  it('tcpladder run says so in one line with the fix, exits 2 and makes nothing', () => {
    // root of a user namespace whose own limit allows no further user namespace: what a
    // user sees on a machine with user.max_user_namespaces=0 (the machine's limit is not touched)
    const run = newRunId();
    const runDir = join(tmp.dir, 'refused');
    const r = spawnSync(
      'unshare',
      ['--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh', process.execPath, 'bin/tcpladder.js', 'run', 'cases/handshake'],
      { cwd: ROOT, encoding: 'utf8', env: freshEnv(run, runDir), timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcpladder run: not root, and cannot run rootless: user namespaces are off for unprivileged users \(\/proc\/sys\/user\/max_user_namespaces is 0\): .*; fix: sysctl -w user.max_user_namespaces=15000 \(as root\), or run tcpladder with sudo$/);
    expect(existsSync(runDir)).toBe(false);
  });
});
