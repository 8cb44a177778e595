// After SIGKILL: the run's sidecar and trace reader die with it (PR_SET_PDEATHSIG),
// its namespaces, tracefs instance and state files stay; `tcpladder clean`, and the
// next run by itself, remove exactly those, and never anything of a run still alive
// or anything not created by tcpladder:
//   - a live run (its namespaces, its tracefs instance) holding a connection open
//     through it all, which still works afterwards;
//   - a namespace named like the live run's;
//   - a namespace and a tracefs instance not named tcpl-…;
//   - a tcpl-… tracefs instance whose pid means nothing here but whose reader is open
//     (what a run in a Docker container, another pid namespace, looks like from here).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, namespaces, runProcesses, tracefsInstancesDir } from '../../scripts/leftovers.js';
import { tcpladder, tempDir, writeCase, until, runNamespaces, settledLeftovers, readSummary, removeRunDir, rng, type Child } from './helpers.js';

const seed = Number(process.env.TCPLADDER_REL_SEED ?? Date.now() % 1_000_000);
const random = rng(seed);
const tmp = tempDir('sigkill');
const READY = join(tmp.dir, 'ready');
const STOP = join(tmp.dir, 'stop');
const instances = tracefsInstancesDir()!;
const children: Child[] = [];
const foreign = {
  ns: `reltest-${process.pid}-keep`,
  instance: `reltest-${process.pid}-keep`,
  // a pid above pid_max cannot be a process here
  held: `tcpl-zzother${process.pid.toString(36)}-${Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 11}-trace`,
  likeLive: '',
};
let reader: ChildProcess | null = null;
let live: Child;

const liveFile = writeCase(
  tmp.dir,
  'live',
  `import { existsSync, writeFileSync } from 'node:fs';

tcpCase('reliability: a live run holds its hosts while others are killed and cleaned', async ({ hosts }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  writeFileSync(${JSON.stringify(READY)}, '');
  while (!existsSync(${JSON.stringify(STOP)})) await new Promise((r) => setTimeout(r, 50));
  // everything it made survived the other runs' deaths and cleans: the connection works
  await conn.write('still here');
  expect((await peer.read(10)).toString()).toBe('still here');
}, { families: [4], timeout: 150_000 });`,
);

beforeAll(async () => {
  live = tcpladder(['run', liveFile], { group: true });
  children.push(live);
  expect(await until(() => existsSync(READY), 40_000), `the live run did not start: ${live.stdout()}${live.stderr()}`).toBe(true);
  const liveNs = runNamespaces(live.run);
  expect(liveNs.length).toBeGreaterThan(0);
  foreign.likeLive = `${liveNs[0].replace(/-\d+-[a-z0-9]+$/, '')}-${process.pid}-wire`; // a live owner (this test) with no owner file: never removed
  execFileSync('ip', ['netns', 'add', foreign.ns]);
  execFileSync('ip', ['netns', 'add', foreign.likeLive]);
  mkdirSync(join(instances, foreign.instance));
  mkdirSync(join(instances, foreign.held));
  reader = spawn('cat', [join(instances, foreign.held, 'trace_pipe')], { stdio: 'ignore' });
  await until(() => {
    try {
      return execFileSync('ls', ['-l', `/proc/${reader!.pid}/fd`], { encoding: 'utf8' }).includes('trace_pipe');
    } catch {
      return false;
    }
  }, 5000);
}, 55_000);

afterAll(async () => {
  writeFileSync(STOP, '');
  await Promise.race([live?.done, new Promise((r) => setTimeout(r, 20_000))]);
  reader?.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  for (const ns of [foreign.ns, foreign.likeLive]) if (ns && namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
  for (const i of [foreign.instance, foreign.held]) if (existsSync(join(instances, i))) rmdirSync(join(instances, i));
  for (const c of children) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      try {
        process.kill(-c.child.pid!, 'SIGKILL');
      } catch {
        c.child.kill('SIGKILL'); // not a group leader
      }
    }
    removeRunDir(c);
  }
  tmp.remove();
}, 40_000);

/** What must survive every clean. */
function survivors(): string[] {
  return [
    ...runNamespaces(live.run).map((n) => `netns ${n}`),
    `netns ${foreign.ns}`,
    `netns ${foreign.likeLive}`,
    ...readdirInstances().filter((i) => i.startsWith(`tcpl-${live.run}-`) || i === foreign.instance || i === foreign.held).map((i) => `instance ${i}`),
  ];
}

function readdirInstances(): string[] {
  return execFileSync('ls', [instances], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

function present(): string[] {
  return [...namespaces().map((n) => `netns ${n}`), ...readdirInstances().map((i) => `instance ${i}`)];
}

/**
 * A run killed the hard way in the middle of a case: tcpladder and vitest are stopped,
 * the worker that owns the hosts gets SIGKILL (its sidecar and trace reader are not
 * signalled: they must die with it), then the rest of the group.
 */
async function killedRun(): Promise<{ c: Child; left: string[] }> {
  const c = tcpladder(['run', 'cases/close'], { group: true });
  children.push(c);
  const instance = () => readdirInstances().some((i) => i.startsWith(`tcpl-${c.run}-`));
  expect(await until(() => runNamespaces(c.run).length > 0 && instance(), 30_000), 'the run never had hosts').toBe(true);
  await new Promise((r) => setTimeout(r, Math.floor(random() * 200)));
  const procs = runProcesses(c.run);
  const workers = procs.filter((p) => p.cmd.includes('workers/forks'));
  const helpers = procs.filter((p) => /--socket \S*\/sidecar-\d+\.sock/.test(p.cmd) || p.cmd.includes('trace_pipe'));
  expect(workers.length, JSON.stringify(procs)).toBeGreaterThan(0);
  // tcpladder and vitest stopped first, so that nothing notices and starts anew
  for (const p of procs) if (p.cmd.includes('bin/tcpladder.js') || p.cmd.includes('vitest.mjs')) process.kill(p.pid, 'SIGSTOP');
  for (const w of workers) process.kill(w.pid, 'SIGKILL');
  // setpriv --pdeathsig KILL and the sidecar's prctl(PR_SET_PDEATHSIG, SIGTERM): they go
  // without being signalled by anyone but the kernel
  expect(
    await until(() => helpers.every((h) => !existsSync(`/proc/${h.pid}`) || readFileSync(`/proc/${h.pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')), 5000),
    `sidecar or trace reader outlived its parent: ${JSON.stringify(helpers)}`,
  ).toBe(true);
  process.kill(-c.child.pid!, 'SIGKILL');
  await c.done;
  expect(runProcesses(c.run)).toEqual([]);
  return { c, left: leftovers(c.run, c.pids.keys()) };
}

describe(`after SIGKILL (seed ${seed})`, () => {
  it('the run leaves namespaces, its tracefs instance and state files; `tcpladder clean` removes exactly those', async () => {
    const { c, left } = await killedRun();
    expect(left.some((l) => l.startsWith(`netns tcpl-${c.run}-`))).toBe(true);
    expect(left.some((l) => l.startsWith(`tracefs instance tcpl-${c.run}-`))).toBe(true);
    expect(left.some((l) => l.includes('/owners/'))).toBe(true);
    const keep = survivors();
    const before = present();

    const clean = tcpladder(['clean']);
    children.push(clean);
    const { code } = await clean.done;
    expect(code, clean.stderr()).toBe(0);
    expect(await settledLeftovers(c, 0)).toEqual([]);
    const now = present();
    for (const k of keep) expect(now, `${k} was removed`).toContain(k);
    // what it says it removed: the killed run's things (and other dead runs' ones), none of the keepers
    const said = clean.stdout().split('\n').map((l) => l.trim()).filter((l) => l && l !== 'removed:');
    for (const k of keep) expect(said).not.toContain(k.replace(/^instance /, ''));
    expect(said).not.toContain(foreign.held);
    for (const l of left.filter((x) => x.startsWith('netns '))) {
      // removed by this clean, or by another process's clean just before it
      expect(said.includes(l) || !before.includes(l), l).toBe(true);
    }
  }, 55_000);

  it('the next run removes them by itself, and nothing else', async () => {
    const { c, left } = await killedRun();
    expect(left.length).toBeGreaterThan(0);
    const keep = survivors();
    const next = tcpladder(['run', 'cases/handshake/three-way.case.ts']);
    children.push(next);
    const { code } = await next.done;
    expect(code, next.stdout() + next.stderr()).toBe(0);
    expect(next.stderr()).toMatch(/^tcpladder: removed leftovers of earlier runs: /m);
    expect(await settledLeftovers(c, 0)).toEqual([]);
    const now = present();
    for (const k of keep) expect(now, `${k} was removed`).toContain(k);
    expect(await settledLeftovers(next)).toEqual([]);
  }, 55_000);

  it('the live run was never disturbed: it finishes and passes', async () => {
    writeFileSync(STOP, '');
    const { code } = await live.done;
    expect(code, live.stdout() + live.stderr()).toBe(0);
    expect(readSummary(live.runDir)?.passed).toBe(1);
    // the namespace this test made under the live run's name is the test's to remove (afterAll)
    expect((await settledLeftovers(live)).filter((l) => !l.endsWith(foreign.likeLive))).toEqual([]);
  }, 30_000);
});
