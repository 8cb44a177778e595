// The tracefs session and the per-case observer for real: an instance of this process's
// own, events from a namespace of this test's own, TIME_WAIT filled in from sock_diag,
// and nothing left in tracefs once the session is closed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseObserver, closeTraceSession, traceSession } from '../../harness/observe/observer.js';
import { cleanInstances, tracefsRoot } from '../../harness/observe/tracefs.js';
import { runId } from '../../harness/topology/owner.js';
import { releaseSlot, slotSubnets, takeSlot } from '../../harness/topology/slots.js';
import { TestNamespace } from './netns.js';

let root: string;
let ns: TestNamespace;
let slot: number;
let prefix4: string;

const mine = () => readdirSync(`${root}/instances`).filter((n) => n.startsWith(`tcpl-${runId()}-${process.pid}-`));

beforeAll(async () => {
  root = await tracefsRoot();
  slot = takeSlot(); // a subnet no other live run uses: tracepoints carry no namespace
  const net = slotSubnets(slot);
  prefix4 = net.ipv4(0).replace(/0$/, '');
  ns = TestNamespace.create('trace', { ipv4: net.ipv4(1) });
});

afterAll(() => {
  closeTraceSession();
  ns?.remove();
  if (slot !== undefined) releaseSlot(slot);
});

describe('TraceSession', () => {
  it('opens an instance named after this run and process, mono clock, the five events on', async () => {
    const session = await traceSession();
    expect(session.dir).toBe(`${root}/instances/${mine()[0]}`);
    expect(mine()).toHaveLength(1);
    expect(readFileSync(`${session.dir}/trace_clock`, 'utf8')).toContain('[mono]');
    for (const e of ['sock/inet_sock_set_state', 'tcp/tcp_send_reset', 'tcp/tcp_receive_reset', 'tcp/tcp_retransmit_skb', 'tcp/tcp_destroy_sock']) {
      expect(readFileSync(`${session.dir}/events/${e}/enable`, 'utf8').trim(), e).toBe('1');
    }
    expect(await traceSession()).toBe(session); // one per process
  });

  it('barrier() resolves once the reader has caught up', async () => {
    const session = await traceSession();
    await session.barrier(2000);
    await Promise.all([session.barrier(2000), session.barrier(2000)]);
  });
});

describe('CaseObserver', () => {
  it('records this subnet\'s transitions per socket, TIME_WAIT from sock_diag, and nothing else', async () => {
    const observer = await CaseObserver.start([prefix4], [{ ns: ns.name, addresses: [ns.ipv4] }]);
    try {
      const { listener, client, peer } = await ns.activeClose(4, 8080);
      await observer.settle();
      const histories = observer.histories();
      const at = process.hrtime.bigint();
      const of = (s: typeof client) => observer.historyOf({ saddr: s.local!.address, sport: s.local!.port, daddr: s.remote?.address ?? '', dport: s.remote?.port ?? 0 }, at);
      const closer = of(client)!;
      expect(closer.transitions.map((t) => t.to)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
      expect(closer.transitions.map((t) => t.source)).toEqual(['tracepoint', 'tracepoint', 'tracepoint', 'tracepoint', 'sock_diag']);
      expect(of(peer)!.transitions.map((t) => t.to)).toEqual(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
      expect(of(listener)!.transitions.map((t) => t.to)).toEqual(['LISTEN']);
      expect(histories).toHaveLength(3);
      // times are monotonic ns, in order
      const times = closer.transitions.map((t) => t.t);
      expect([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);
      expect(times[4] - times[0]).toBeLessThan(5_000_000_000n);
      for (const e of observer.events) if ('saddr' in e) expect(e.saddr.startsWith(prefix4) || e.daddr.startsWith(prefix4)).toBe(true);
    } finally {
      observer.close();
    }
  });

  it('follows an orphaned FIN_WAIT_2 minisock into TIME_WAIT through sock_diag', async () => {
    const observer = await CaseObserver.start([prefix4], [{ ns: ns.name, addresses: [ns.ipv4] }]);
    try {
      const { client, peer } = await ns.connection(4, 8090);
      const local = client.local!;
      const remote = client.remote!;
      await client.close(); // FIN; the socket is orphaned and becomes a FIN_WAIT_2 minisock once ACKed
      await new Promise((r) => setTimeout(r, 100));
      await peer.close(); // the peer's FIN turns the minisock into TIME_WAIT
      await new Promise((r) => setTimeout(r, 200));
      await observer.settle();
      const h = observer.historyOf({ saddr: local.address, sport: local.port, daddr: remote.address, dport: remote.port }, process.hrtime.bigint())!;
      expect(h.transitions.map((t) => `${t.from}>${t.to}:${t.source}`)).toEqual([
        'CLOSED>SYN_SENT:tracepoint',
        'SYN_SENT>ESTABLISHED:tracepoint',
        'ESTABLISHED>FIN_WAIT_1:tracepoint',
        'FIN_WAIT_1>FIN_WAIT_2:tracepoint',
        'FIN_WAIT_2>TIME_WAIT:sock_diag',
      ]);
    } finally {
      observer.close();
    }
  });

  it('sees loopback traffic of other subnets not at all', async () => {
    const observer = await CaseObserver.start([prefix4], [{ ns: ns.name, addresses: [ns.ipv4] }]);
    try {
      const other = TestNamespace.create('trace2');
      try {
        await other.activeClose(4, 8081); // 127.0.0.1
      } finally {
        other.remove();
      }
      await observer.settle();
      expect(observer.events).toEqual([]);
    } finally {
      observer.close();
    }
  });
});

describe('closing and cleaning', () => {
  it('closeTraceSession() removes this process\'s instance', async () => {
    const session = await traceSession();
    expect(existsSync(session.dir)).toBe(true);
    closeTraceSession();
    expect(existsSync(session.dir)).toBe(false);
    expect(mine()).toEqual([]);
  });

  it('cleanInstances() removes instances of dead owners and keeps those of live ones', async () => {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const dead = `${root}/instances/tcpl-zz${runId()}-${pidMax + 7}-trace`;
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const live = `${root}/instances/tcpl-zz${runId()}-${sleeper.pid}-trace`;
    mkdirSync(dead);
    mkdirSync(live);
    try {
      const removed = await cleanInstances();
      expect(removed).toContain(dead.split('/').pop());
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      sleeper.kill();
      for (const d of [dead, live]) if (existsSync(d)) rmdirSync(d);
    }
  });
});
