// The sidecar's packet path on a real wire namespace: one packet socket for all the
// ports, a kernel filter keeping each port's frames from its host's MAC, frames that
// leave by any port in batches, kernel timestamps on the monotonic clock, unplug.
// The hosts' side is a packet socket inside each host's namespace, sending and
// receiving raw Ethernet frames of a protocol nobody else speaks (0x88b5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopology, type Topology } from '../../harness/stacks/index.js';
import { WirePorts } from '../../harness/wire/wire-ports.js';
import type { PortSpec } from '../../harness/wire/protocol.js';
import { FOREIGN_MAC, HostEnd, ip, isTest, reached, testFrame, txDropped } from './host-end.js';

describe('packet path', () => {
  let topo: Topology;
  let ports: PortSpec[];
  beforeAll(async () => {
    topo = await createTopology(['a', 'b']);
    await topo.up();
    ports = topo.hosts.map((h) => ({ ifname: h.spec.port, hostMac: h.spec.mac, host: h.spec.name }));
  });
  afterAll(async () => {
    await topo?.destroy();
  });

  it('captures each port\'s frames from its host, in order, stamped, relays them, never sees its own sends, and lets go of an unplugged port', async () => {
    const [a, b] = topo.hosts.map((h) => h.spec);
    const captured: { port: number; frame: Buffer; time: bigint | null }[] = [];
    const failed: string[] = [];
    const wire = new WirePorts(ports, `/run/netns/${topo.wireNs}`, 'relay', (port, code) => failed.push(`${port} ${code}`));
    const hostA = new HostEnd(a.ns, a.ifname, [b.mac, FOREIGN_MAC]);
    const hostB = new HostEnd(b.ns, b.ifname, [a.mac]);
    try {
      wire.start((port, data, time) => {
        if (data && isTest(data)) {
          captured.push({ port, frame: Buffer.from(data), time });
          // relayed the way the relay does: from the handler, with the rest of the batch
          wire.send(1 - port, data);
        }
      });

      // a burst from a, bigger than a batch, and frames from a MAC that is not a's
      const before = process.hrtime.bigint();
      for (let seq = 0; seq < 300; seq++) hostA.send(testFrame(b.mac, a.mac, seq, seq % 2 ? 1514 : 64));
      hostA.send(testFrame(b.mac, FOREIGN_MAC, 9999));
      hostB.send(testFrame(a.mac, b.mac, 5000));
      await reached('300 frames from a and one from b captured', () => captured.length >= 301);
      await reached('a and b received what the wire relayed', () => hostB.read().length >= 300 && hostA.read().length >= 1);
      const after = process.hrtime.bigint();

      const fromA = captured.filter((c) => c.port === 0).map((c) => c.frame.readUInt32BE(14));
      expect(fromA).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(captured.filter((c) => c.port === 1).map((c) => c.frame.readUInt32BE(14))).toEqual([5000]);
      // the foreign MAC's frame was never captured, so never relayed
      expect(captured.some((c) => c.frame.readUInt32BE(14) === 9999)).toBe(false);
      // every frame stamped by the kernel, on the monotonic clock, within the test's own times
      for (const c of captured) {
        expect(c.time).not.toBeNull();
        expect(c.time! >= before - 1_000_000n && c.time! <= after).toBe(true);
      }
      // b got every frame of a's burst, byte for byte, in order; a got b's
      expect(hostB.got.map((f) => f.readUInt32BE(14))).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(hostB.got.every((f, i) => f.length === (i % 2 ? 1514 : 64) && f.equals(testFrame(b.mac, a.mac, i, f.length)))).toBe(true);
      expect(hostA.got.map((f) => f.readUInt32BE(14))).toEqual([5000]);
      // the relay's own sends never came back to it
      wire.drain();
      expect(captured).toHaveLength(301);
      expect(failed).toEqual([]);

      // unplugged: nothing from a's port is taken in, nothing goes out of it
      wire.unplug(0);
      hostA.send(testFrame(b.mac, a.mac, 7000));
      await new Promise((r) => setTimeout(r, 100));
      wire.drain();
      expect(captured).toHaveLength(301);
      expect(wire.send(0, testFrame(a.mac, b.mac, 7001))).toBe(false);
      // the port back (its interface is the same here): a's frames come in again
      wire.replug(0);
      hostA.send(testFrame(b.mac, a.mac, 7002));
      await reached('a captured again after replug', () => captured.length === 302);
      expect(captured[301].frame.readUInt32BE(14)).toBe(7002);
    } finally {
      wire.close();
      void hostA.sock.close();
      void hostB.sock.close();
    }
  });

  it('a port whose link goes down and up again (a guest bringing up its own link) still takes frames in', async () => {
    const [a, b] = topo.hosts.map((h) => h.spec);
    const captured: number[] = [];
    const wire = new WirePorts(ports, `/run/netns/${topo.wireNs}`, 'bridge', () => undefined);
    const hostA = new HostEnd(a.ns, a.ifname, [b.mac]);
    try {
      wire.start((_port, data) => {
        if (data && isTest(data)) captured.push(data.readUInt32BE(14));
      });
      // down: each port's socket gets the error ENETDOWN, and libuv ends a poll on a socket error
      for (const p of [a.port, b.port]) ip(topo.wireNs, ['link', 'set', p, 'down']);
      await new Promise((r) => setTimeout(r, 50));
      for (const p of [a.port, b.port]) ip(topo.wireNs, ['link', 'set', p, 'up']);
      await reached('both ports up with their carrier', () => [a.port, b.port].every((p) => /LOWER_UP/.test(ip(topo.wireNs, ['link', 'show', 'dev', p]))));
      hostA.send(testFrame(b.mac, a.mac, 4242));
      // taken in by the watch alone: nothing here drains the wire by hand
      await reached('the frame from a captured', () => captured.includes(4242));
    } finally {
      wire.close();
      void hostA.sock.close();
      for (const p of [a.port, b.port]) ip(topo.wireNs, ['link', 'set', p, 'up']);
    }
  });

  it('a frame the veth refuses (too big for its host\'s MTU) is reported, the rest of its batch still goes', async () => {
    const [a, b] = topo.hosts.map((h) => h.spec);
    const failed: string[] = [];
    const wire = new WirePorts(ports, `/run/netns/${topo.wireNs}`, 'relay', (port, code) => failed.push(`${port} ${code}`));
    const hostA = new HostEnd(a.ns, a.ifname, [b.mac]);
    const hostB = new HostEnd(b.ns, b.ifname, [a.mac]);
    try {
      ip(b.ns, ['link', 'set', b.ifname, 'mtu', '1280']);
      const dropsBefore = txDropped(topo.wireNs, b.port);
      let relayed = 0;
      wire.start((port, data) => {
        if (data && isTest(data) && port === 0) {
          relayed++;
          wire.send(1, data); // refused when bigger than b's MTU
          wire.send(0, testFrame(a.mac, b.mac, 8000 + relayed)); // after it, in the same batch
        }
      });
      for (let seq = 0; seq < 20; seq++) hostA.send(testFrame(b.mac, a.mac, seq, seq % 2 ? 1514 : 100));
      await reached('20 frames relayed', () => relayed === 20);
      await reached('a got the 20 frames sent after them', () => hostA.read().length === 20);
      await reached('b got the 10 small ones', () => hostB.read().length === 10);
      expect(hostA.got.map((f) => f.readUInt32BE(14))).toEqual(Array.from({ length: 20 }, (_, i) => 8001 + i));
      expect(hostB.got.map((f) => f.readUInt32BE(14))).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i));
      // one report per refused frame; sendmmsg tells the error only of a batch's first frame
      expect(failed).toHaveLength(10);
      expect(failed.every((f) => f === '1 ENOBUFS' || f === '1 unknown')).toBe(true);
      // each refused frame was tried once: the veth counted 10 drops, not more
      expect(txDropped(topo.wireNs, b.port) - dropsBefore).toBe(10);
    } finally {
      wire.close();
      void hostA.sock.close();
      void hostB.sock.close();
      ip(b.ns, ['link', 'set', b.ifname, 'mtu', '1500']);
    }
  });

  it('a frame to a port that is down, after others of its batch went out, is reported refused though sendmmsg tells no error for it (the veth never saw it)', async () => {
    const [a, b] = topo.hosts.map((h) => h.spec);
    const failed: string[] = [];
    const wire = new WirePorts(ports, `/run/netns/${topo.wireNs}`, 'relay', (port, code) => failed.push(`${port} ${code}`));
    const hostA = new HostEnd(a.ns, a.ifname, [b.mac]);
    try {
      // a guest's port is down until the guest's link comes up: a broadcast from a host
      // goes out of every other port in one batch, and the one that is down refuses it
      ip(topo.wireNs, ['link', 'set', b.port, 'down']);
      const dropsBefore = txDropped(topo.wireNs, b.port);
      let relayed = 0;
      wire.start((port, data) => {
        if (data && isTest(data) && port === 0) {
          relayed++;
          wire.send(0, testFrame(a.mac, b.mac, 8100 + relayed)); // goes out
          wire.send(1, data); // refused: b's port is down
        }
      });
      for (let seq = 0; seq < 5; seq++) hostA.send(testFrame(b.mac, a.mac, seq));
      await reached('5 frames relayed', () => relayed === 5);
      await reached('a got the 5 frames sent before them', () => hostA.read().length === 5);
      expect(failed).toEqual(Array.from({ length: 5 }, () => '1 unknown'));
      // refused before the device: the veth counted nothing, so the relay must
      expect(txDropped(topo.wireNs, b.port) - dropsBefore).toBe(0);
    } finally {
      wire.close();
      void hostA.sock.close();
      ip(topo.wireNs, ['link', 'set', b.port, 'up']);
    }
  });
});
