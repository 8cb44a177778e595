// sock_diag for real: TIME_WAIT sockets (which the state tracepoint never reports) in a
// namespace of this test's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagSockets } from '../../harness/observe/sockdiag.js';
import { namespacesOfThisProcess, TestNamespace } from './netns.js';

let ns: TestNamespace;

beforeAll(() => {
  ns = TestNamespace.create('diag');
});

afterAll(() => {
  ns?.remove();
  expect(namespacesOfThisProcess()).toEqual([]);
});

describe('diagSockets', () => {
  it('sees nothing in an empty namespace', () => {
    expect(diagSockets(ns.name)).toEqual([]);
  });

  it('sees a listener and both ends of an established connection, with their tuples', async () => {
    const { client, peer } = await ns.connection(4, 7001);
    const all = diagSockets(ns.name);
    expect(all).toContainEqual(expect.objectContaining({ state: 'LISTEN', saddr: '127.0.0.1', sport: 7001, daddr: '0.0.0.0', dport: 0 }));
    expect(all).toContainEqual(expect.objectContaining({ state: 'ESTABLISHED', saddr: '127.0.0.1', sport: client.local!.port, daddr: '127.0.0.1', dport: 7001 }));
    expect(all).toContainEqual(expect.objectContaining({ state: 'ESTABLISHED', saddr: '127.0.0.1', sport: 7001, daddr: '127.0.0.1', dport: client.local!.port }));
    expect(peer.remote).toEqual(client.local);
  });

  it('sees the active closer in TIME_WAIT (IPv4), with about 60 s to go', async () => {
    const { client } = await ns.activeClose(4, 7002);
    const port = client.local!.port;
    const tw = diagSockets(ns.name, ['TIME_WAIT']);
    expect(tw).toEqual([{ state: 'TIME_WAIT', saddr: '127.0.0.1', sport: port, daddr: '127.0.0.1', dport: 7002, expiresMs: expect.any(Number), cookie: expect.any(BigInt) }]);
    expect(tw[0].expiresMs).toBeGreaterThan(55_000);
    expect(tw[0].expiresMs).toBeLessThanOrEqual(60_000);
  });

  it('sees the active closer in TIME_WAIT (IPv6), addresses in RFC 5952 form', async () => {
    const { client } = await ns.activeClose(6, 7003);
    const tw = diagSockets(ns.name, ['TIME_WAIT']).filter((s) => s.dport === 7003);
    expect(tw).toEqual([{ state: 'TIME_WAIT', saddr: '::1', sport: client.local!.port, daddr: '::1', dport: 7003, expiresMs: expect.any(Number), cookie: expect.any(BigInt) }]);
  });

  it('filters by state', async () => {
    const listening = diagSockets(ns.name, ['LISTEN']);
    expect(listening.length).toBeGreaterThan(0);
    expect(listening.every((s) => s.state === 'LISTEN')).toBe(true);
    const tw = diagSockets(ns.name, ['TIME_WAIT', 'FIN_WAIT_2']);
    expect(tw.map((s) => s.dport).sort()).toEqual([7002, 7003]);
    expect(diagSockets(ns.name, ['CLOSING'])).toEqual([]);
  });

  it('sees an orphaned FIN_WAIT_2 (closed by the application, peer never closes)', async () => {
    const { client } = await ns.connection(4, 7004);
    await client.close(); // FIN, acknowledged; the peer keeps its end open
    let found: ReturnType<typeof diagSockets> = [];
    for (let i = 0; i < 50 && !found.length; i++) {
      found = diagSockets(ns.name, ['FIN_WAIT_2']).filter((s) => s.dport === 7004);
      if (!found.length) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toHaveLength(1);
    expect(found[0].state).toBe('FIN_WAIT_2');
  });

  it('does not see sockets of another namespace', async () => {
    const other = TestNamespace.create('diag2');
    try {
      expect(diagSockets(other.name)).toEqual([]);
    } finally {
      other.remove();
    }
  });
});
