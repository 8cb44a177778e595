// Nothing left behind by guests: a run whose hosts are User-Mode Linux and gVisor guests
// leaves no guest process, no /dev/shm file, no UML folder, no runsc state and no
// namespace after it passes, after SIGTERM in the middle of a case, and — after SIGKILL of
// its whole process group, which gives nothing a chance to clean — once `tcpladder clean`
// has run (the next run does the same by itself).
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { leftovers } from '../../scripts/leftovers.js';
import { tcpladder, tempDir, writeCase, until, runNamespaces, settledLeftovers, readSummary, removeRunDir, type Child } from './helpers.js';

const children: Child[] = [];
const tmp = tempDir('guests');

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

const guestCase = (name: string, waitFor: string | null) =>
  writeCase(
    tmp.dir,
    name,
    `import { existsSync, writeFileSync } from 'node:fs';

tcpCase('reliability: ${name} on guests', async ({ hosts }) => {
  const { client, server } = await hosts('client', 'server', { stack: { client: 'uml', server: 'gvisor' } });
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.write('x');
  expect((await peer.read(1)).toString()).toBe('x');
  ${waitFor ? `writeFileSync(${JSON.stringify(waitFor)}, '');\n  await new Promise((r) => setTimeout(r, 60_000));` : ''}
}, { families: [4], timeout: 90_000 });`,
  );

/** Guest processes of the run: UML (umid=tcpl-<run>-…) or runsc (its state under a pool of the run). */
const guestsOf = (c: Child) => leftovers(c.run, c.pids.keys()).filter((l) => /linux\.uml|runsc/.test(l));

describe('guests leave nothing behind', () => {
  it('after a passing run', async () => {
    const c = watch(tcpladder(['run', guestCase('passing', null)]));
    const { code } = await c.done;
    expect(code, c.stdout() + c.stderr()).toBe(0);
    expect(readSummary(c.runDir)?.passed).toBe(1);
    const cmds = [...c.pids.values()];
    expect(cmds.some((x) => x.includes('linux.uml')), 'no UML guest was seen').toBe(true);
    expect(cmds.some((x) => x.includes('runsc')), 'no gVisor sandbox was seen').toBe(true);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 240_000);

  it('after SIGTERM to tcpladder in the middle of a case: exit 143', async () => {
    const ready = `${tmp.dir}/term-ready`;
    const c = watch(tcpladder(['run', guestCase('sigterm', ready)], { group: true }));
    expect(await until(() => existsSync(ready), 200_000), c.stdout() + c.stderr()).toBe(true);
    c.child.kill('SIGTERM');
    const { code } = await c.done;
    expect(code).toBe(143);
    expect(await settledLeftovers(c, 10_000)).toEqual([]);
  }, 260_000);

  it('after SIGKILL of the whole process group, tcpladder clean removes the guests and everything else', async () => {
    const ready = `${tmp.dir}/kill-ready`;
    const c = watch(tcpladder(['run', guestCase('sigkill', ready)], { group: true }));
    expect(await until(() => existsSync(ready), 200_000), c.stdout() + c.stderr()).toBe(true);
    expect(runNamespaces(c.run).length).toBeGreaterThan(0);
    process.kill(-c.child.pid!, 'SIGKILL');
    await c.done;
    const clean = watch(tcpladder(['clean']));
    expect((await clean.done).code, clean.stderr()).toBe(0);
    expect(guestsOf(c)).toEqual([]);
    expect(await settledLeftovers(c, 10_000)).toEqual([]);
  }, 260_000);
});
