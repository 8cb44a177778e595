// The sidecar's packet path on a real wire namespace: one packet socket for all the
// ports, a kernel filter keeping each port's frames from its host's MAC, frames that
// leave by any port in batches, kernel timestamps on the monotonic clock, unplug.
// The hosts' side is a packet socket inside each host's namespace, sending and
// receiving raw Ethernet frames of a protocol nobody else speaks (0x88b5).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopology, type Topology } from '../../harness/stacks/index.js';
import { PacketSocket } from '../../harness/wire/packet-socket.js';
import { portFilter } from '../../harness/wire/port-filter.js';
import { inNetns, WirePorts } from '../../harness/wire/wire-ports.js';
import type { PortSpec } from '../../harness/wire/protocol.js';

const ETHERTYPE = 0x88b5;
const FOREIGN_MAC = '02:00:5e:10:00:01';

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

/** A test frame: `seq` in its payload, `size` bytes in all. */
function testFrame(dst: string, src: string, seq: number, size = 200): Buffer {
  const f = Buffer.alloc(size);
  macBytes(dst).copy(f, 0);
  macBytes(src).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE, 12);
  f.writeUInt32BE(seq, 14);
  return f;
}

const isTest = (f: Buffer) => f.length >= 18 && f.readUInt16BE(12) === ETHERTYPE;

/** A host's raw view of its own link: sends frames out of it, and keeps those from `macs` that reach it. */
class HostEnd {
  readonly sock: PacketSocket;
  readonly got: Buffer[] = [];

  constructor(ns: string, ifname: string, macs: string[]) {
    this.sock = inNetns(`/run/netns/${ns}`, () => new PacketSocket({ ignoreOutgoing: true, receiveBuffer: 1 << 20, destinations: 1 }, () => undefined));
    const ifindex = this.sock.ifindex(ifname);
    this.sock.setDestination(0, ifindex);
    this.sock.setFilter(portFilter([{ ifindex, macs, snap: 65535 }]));
    this.sock.bind(ifindex);
  }

  send(frame: Buffer): void {
    this.sock.send(0, frame, 0);
  }

  read(): Buffer[] {
    this.sock.drain((data) => {
      if (isTest(data)) this.got.push(Buffer.from(data));
    });
    return this.got;
  }
}

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

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
      await until('300 frames from a and one from b captured', () => captured.length >= 301);
      await until('a and b received what the wire relayed', () => hostB.read().length >= 300 && hostA.read().length >= 1);
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
      await until('a captured again after replug', () => captured.length === 302);
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
      await until('both ports up with their carrier', () => [a.port, b.port].every((p) => /LOWER_UP/.test(ip(topo.wireNs, ['link', 'show', 'dev', p]))));
      hostA.send(testFrame(b.mac, a.mac, 4242));
      // taken in by the watch alone: nothing here drains the wire by hand
      await until('the frame from a captured', () => captured.includes(4242));
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
      await until('20 frames relayed', () => relayed === 20);
      await until('a got the 20 frames sent after them', () => hostA.read().length === 20);
      await until('b got the 10 small ones', () => hostB.read().length === 10);
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
      await until('5 frames relayed', () => relayed === 5);
      await until('a got the 5 frames sent before them', () => hostA.read().length === 5);
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

function ip(ns: string, args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
}

function txDropped(ns: string, ifname: string): number {
  return (JSON.parse(ip(ns, ['-j', '-s', 'link', 'show', 'dev', ifname])) as { stats64: { tx: { dropped: number } } }[])[0].stats64.tx.dropped;
}
