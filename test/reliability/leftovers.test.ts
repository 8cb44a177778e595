// Nothing left behind: after a passing run, a failing run, and SIGINT (Ctrl-C: the
// whole process group) or SIGTERM (`kill PID`: tcpladder alone) at random moments of
// a case, no namespace, link, nftables table, tracefs instance, process or file of
// the run remains (scripts/leftovers.ts lists what is looked for).
//
// The moments are drawn from a seeded sequence; the seed is printed, and
// TCPLADDER_REL_SEED=<seed> replays the same moments.
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, tempDir, writeCase, until, runNamespaces, settledLeftovers, readSummary, removeRunDir, rng, type Child } from './helpers.js';

const seed = Number(process.env.TCPLADDER_REL_SEED ?? Date.now() % 1_000_000);
const random = rng(seed);
const children: Child[] = [];
const tmp = tempDir('leftovers');

afterAll(() => {
  for (const c of children) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    removeRunDir(c);
  }
  tmp.remove();
});

function watch(c: Child): Child {
  children.push(c);
  return c;
}

describe('nothing left behind', () => {
  it('after a passing run (tcpladder run <case file>)', async () => {
    const c = watch(tcpladder(['run', 'cases/handshake/three-way.case.ts']));
    const { code } = await c.done;
    expect(code, c.stderr()).toBe(0);
    expect(readSummary(c.runDir)?.passed).toBe(2);
    // the watcher saw the processes that must be gone now: a worker with its sidecar and trace reader
    const cmds = [...c.pids.values()];
    // (its own sidecar unless TCPLADDER_SIDECAR names a shared one, as in Docker Compose)
    if (!process.env.TCPLADDER_SIDECAR) expect(cmds.some((x) => /--socket \S*\/sidecar-\d+\.sock/.test(x))).toBe(true);
    // (the trace reader is not required to have been seen: the watcher samples, and a
    // short run's reader can live between two samples — seen once in a clean-clone run)
    expect(await settledLeftovers(c)).toEqual([]);
  }, 45_000);

  it('after a failing run: a wrong expectation and an exception thrown mid-case with a wire rule pending', async () => {
    const file = writeCase(
      tmp.dir,
      'failing',
      `tcpCase('reliability: wrong expectation', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  await client.connect(server, 8080);
  await listener.accept();
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client RST'], { within: 300 });
}, { families: [4] });

tcpCase('reliability: exception mid-case', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  await wire.hold('server > client FIN').until('client > server FIN');
  const conn = await client.connect(server, 8080);
  await listener.accept();
  await conn.write('x');
  throw new Error('thrown on purpose with a hold pending and sockets open');
}, { families: [6] });`,
    );
    const c = watch(tcpladder(['run', file]));
    const { code } = await c.done;
    expect(code, c.stderr()).toBe(1);
    const s = readSummary(c.runDir);
    expect(s?.failed, c.stdout()).toBe(2);
    expect(s?.cases.map((x) => x.error).join('\n')).toContain('thrown on purpose');
    expect(await settledLeftovers(c)).toEqual([]);
  }, 45_000);

  // a signal at a random moment once the run's first namespace exists: while hosts are
  // made, while a case runs, while it is torn down, or between cases
  for (const [sig, to] of [
    ['SIGINT', 'group'],
    ['SIGTERM', 'tcpladder'],
  ] as const) {
    for (let i = 1; i <= 3; i++) {
      const delay = Math.floor(random() * 2000);
      it(`after ${sig} to ${to === 'group' ? 'the whole process group (Ctrl-C)' : 'tcpladder alone (kill PID)'} ${delay} ms after the run's first namespace (seed ${seed}, moment ${i})`, async () => {
        const c = watch(tcpladder(['run', 'cases/close'], { group: true }));
        expect(await until(() => runNamespaces(c.run).length > 0, 30_000), 'the run made no namespace').toBe(true);
        await new Promise((r) => setTimeout(r, delay));
        const t = Date.now();
        if (to === 'group') process.kill(-c.child.pid!, sig);
        else c.child.kill(sig);
        const { code } = await c.done;
        expect(Date.now() - t, 'exit took too long').toBeLessThan(10_000);
        expect(code).toBe(sig === 'SIGINT' ? 130 : 143);
        expect(await settledLeftovers(c)).toEqual([]);
      }, 50_000);
    }
  }
});
