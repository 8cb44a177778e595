// The machine's own network is untouched: the root namespace's links, addresses,
// routes, rules, nftables ruleset, iptables rules, TCP sysctls and listening sockets
// are the same before a run of a few cases, while cases run, and after; the run opens
// no listening socket and no packet socket (no capture) in the root namespace.
// What is compared, and what is ignored (counters, lifetimes, a Docker engine's own
// objects), is in root-snapshot.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, until, runNamespaces, settledLeftovers, removeRunDir, readSummary, type Child } from './helpers.js';
import { snapshot, sockets } from './root-snapshot.js';

let run: Child | undefined;
afterAll(() => {
  if (run) removeRunDir(run);
});

describe('the machine\'s own network', () => {
  it('is the same before, during and after a run of a few cases, and the run listens and captures nowhere in it', async () => {
    const before = snapshot();
    const listeningBefore = sockets().listening;
    run = tcpladder(['run', 'cases/handshake', 'cases/reset/connection-refused.case.ts', 'cases/simultaneous/simultaneous-close.case.ts', 'cases/bulk/bridge-bulk.case.ts']);
    const c = run;
    let during = 0;
    const ownSockets: string[] = [];
    const exited = () => c.child.exitCode !== null || c.child.signalCode !== null;
    while (!exited()) {
      // only while a case has its hosts: that is when the harness could touch anything
      if (!(await until(() => runNamespaces(c.run).length > 0 || exited(), 30_000, 5)) || exited()) break;
      expect(snapshot(), `root namespace changed while ${runNamespaces(c.run).join(', ')} existed`).toEqual(before);
      const s = sockets();
      for (const l of s.listening) if (l.pids.some((p) => c.pids.has(p))) ownSockets.push(`listening ${l.local} (${c.pids.get(l.pids[0])})`);
      for (const p of s.packet) if (p.pids.some((x) => c.pids.has(x))) ownSockets.push(`packet socket ${p.line}`);
      during++;
      await new Promise((r) => setTimeout(r, 150));
    }
    await c.done;
    expect(readSummary(c.runDir)?.cases.length, c.stdout() + c.stderr()).toBeGreaterThanOrEqual(8);
    expect(during, 'no snapshot was taken while a case ran').toBeGreaterThanOrEqual(3);
    expect(ownSockets).toEqual([]);
    expect(snapshot()).toEqual(before);
    // listening sockets: the same set, apart from other programs' that came or went meanwhile
    const after = sockets().listening;
    const key = (l: { local: string }) => l.local;
    const changed = [...after.filter((a) => !listeningBefore.some((b) => key(a) === key(b))), ...listeningBefore.filter((b) => !after.some((a) => key(a) === key(b)))];
    expect(changed.filter((l) => l.pids.length === 0 || l.pids.some((p) => c.pids.has(p)))).toEqual([]);
    expect(await settledLeftovers(c)).toEqual([]);
  }, 58_000);
});
