// The rootless observer for real: sock_diag sampled in a namespace of this test's own
// while real sockets connect and close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateSampler } from '../../harness/observe/sampler.js';
import { buildHistories, tupleKey } from '../../harness/observe/timeline.js';
import type { KernelEvent } from '../../harness/observe/events.js';
import { namespacesOfThisProcess, TestNamespace } from './netns.js';

let ns: TestNamespace;

beforeAll(() => {
  ns = TestNamespace.create('sampler');
});

afterAll(() => {
  ns?.remove();
  expect(namespacesOfThisProcess()).toEqual([]);
});

const until = async (test: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!test() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
};

describe('StateSampler', () => {
  it('sees a listener, both ends established, the active closer in TIME_WAIT and the passive end gone', async () => {
    const events: KernelEvent[] = [];
    const sampler = new StateSampler([ns.name], (a) => a === '127.0.0.1', (e) => events.push(e));
    try {
      const { client, peer } = await ns.connection(4, 7101);
      sampler.sample();
      const clientKey = tupleKey({ saddr: '127.0.0.1', sport: client.local!.port, daddr: '127.0.0.1', dport: 7101 });
      const peerKey = tupleKey({ saddr: '127.0.0.1', sport: 7101, daddr: '127.0.0.1', dport: client.local!.port });
      await client.close();
      await peer.read();
      await peer.close();
      const path = (key: string) => buildHistories(events).find((h) => h.key === key)?.transitions.map((t) => t.to) ?? [];
      await until(() => path(clientKey).includes('TIME_WAIT') && path(peerKey).includes('CLOSED'));
      sampler.sample();
      expect(path('127.0.0.1:7101>*')).toEqual(['LISTEN']);
      expect(path(clientKey)[0]).toBe('ESTABLISHED');
      expect(path(clientKey).at(-1)).toBe('TIME_WAIT');
      expect(path(peerKey)[0]).toBe('ESTABLISHED');
      expect(path(peerKey).at(-1)).toBe('CLOSED');
      expect(events.every((e) => e.kind === 'state' && e.source === 'sampled')).toBe(true);
      const gaps = sampler.intervals();
      expect(gaps.samples).toBeGreaterThan(2);
      expect(gaps.median).toBeGreaterThan(0);
    } finally {
      sampler.close();
    }
  });

  it('reports nothing of addresses that are not the case\'s, and nothing after close()', async () => {
    const events: KernelEvent[] = [];
    const sampler = new StateSampler([ns.name], () => false, (e) => events.push(e));
    await ns.connection(6, 7102);
    sampler.sample();
    sampler.close();
    sampler.sample();
    expect(events).toEqual([]);
  });
});
