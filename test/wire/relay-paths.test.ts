// The relay's two paths on a real wire namespace: the fast path (native/relay.c) while
// the case has no rule and no cut port, relay.ts's own otherwise. Whichever took a frame,
// frames are numbered in one sequence, on one clock, into one pcap and one stream, and
// counted in one set of counters; what the fast path streams is what the other path
// would have (frame-stream.ts's format and headerBytes).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopology, type Topology } from '../../harness/stacks/index.js';
import { Relay } from '../../harness/wire/relay.js';
import { FrameBatch, HEADER, KIND_FRAMES, decodeFrameBatch, headerBytes, type BatchedFrame } from '../../harness/wire/frame-stream.js';
import { nativeHeaderBytes } from '../../harness/wire/native-relay.js';
import { readCapture } from '../../harness/packet/index.js';
import type { PortSpec } from '../../harness/wire/protocol.js';
import type { RuleSpec } from '../../harness/wire/rule-spec.js';
import { HostEnd, isTest, reached, testFrame } from './host-end.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** A rule that never acts on these frames (they are not TCP), but sends every frame down relay.ts's path while it is there. */
const IDLE_RULE: RuleSpec = {
  id: 'idle',
  action: 'drop',
  match: { from: null, to: null, flags: ['SYN'], optionalFlags: [], text: 'SYN' },
  skip: 0,
  count: 1,
};

/**
 * A relay on the wire's namespace in this process, each host's raw end of its link, and
 * what the relay gives the harness: the stream's frames as decoded there (the hosts'
 * kernels send a frame of their own now and then: counted, not asserted), its messages,
 * its pcap, and how many frames relay.ts's own path took (`slow`).
 */
function relayOn(wire: { topo: () => Topology; dir: () => string }, mode: 'relay' | 'bridge') {
  const topo = wire.topo();
  const [a, b] = topo.hosts.map((h) => h.spec);
  const ports: PortSpec[] = topo.hosts.map((h) => ({ ifname: h.spec.port, hostMac: h.spec.mac, host: h.spec.name }));
  const pcap = join(wire.dir(), `${mode}.pcap`);
  const seen = { frames: [] as BatchedFrame[], messages: 0, slow: 0 };
  const stream = new FrameBatch('s1', 65535, {
    write(bytes, done) {
      expect(bytes[4]).toBe(KIND_FRAMES);
      seen.frames.push(...decodeFrameBatch(Buffer.from(bytes.subarray(HEADER))).frames);
      seen.messages++;
      done();
    },
  });
  // the stream's message goes out a turn of the event loop after its frames, as the sidecar sends it
  const relay = new Relay(ports, `/run/netns/${topo.wireNs}`, pcap, stream, { added: () => setImmediate(() => stream.flush()), release: () => undefined }, mode);
  const receive = relay.receive.bind(relay);
  relay.receive = (...args) => {
    seen.slow++;
    receive(...args);
  };
  const hostA = new HostEnd(a.ns, a.ifname, [b.mac]);
  const hostB = new HostEnd(b.ns, b.ifname, [a.mac]);
  const streamed = (seq: number) => seen.frames.some((f) => isTest(f.data) && f.data.readUInt32BE(14) === seq);
  /** the relay and the hosts' ends closed, the last message sent */
  const close = () => {
    relay.close();
    void hostA.sock.close();
    void hostB.sock.close();
    stream.flush();
  };
  return { a, b, relay, hostA, hostB, pcap, seen, streamed, close };
}

/** The stream is one sequence of numbers on nondecreasing times, and the pcap holds the same frames, byte for byte, as far apart in time. */
function expectOneRecord(frames: BatchedFrame[], pcap: string): void {
  expect(frames.map((f) => f.n)).toEqual(Array.from({ length: frames.length }, (_, i) => i + 1));
  for (let i = 1; i < frames.length; i++) expect(frames[i].time >= frames[i - 1].time).toBe(true);
  const cap = readCapture(readFileSync(pcap));
  expect(cap.frames).toHaveLength(frames.length);
  cap.frames.forEach((f, i) => expect(Buffer.from(f.data).equals(frames[i].data)).toBe(true));
  cap.frames.forEach((f, i) => expect(f.time - cap.frames[0].time).toBe(frames[i].time - frames[0].time));
}

/** Wire namespaces with two hosts (`bridge`: a kernel bridge between them), and a folder for pcaps. */
function twoHosts(bridge: boolean): { topo: () => Topology; dir: () => string } {
  let topo: Topology;
  let dir: string;
  beforeAll(async () => {
    topo = await createTopology(['a', 'b'], { bridge });
    await topo.up();
    dir = mkdtempSync(join(tmpdir(), 'tcpladder-relay-paths-'));
  });
  afterAll(async () => {
    await topo?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { topo: () => topo, dir: () => dir };
}

describe('relay paths', () => {
  const wire = twoHosts(false);

  it('numbers, stamps, records, streams and counts every frame alike on either path, and goes on from one to the other', async () => {
    const { a, b, relay, hostA, hostB, pcap, seen, streamed, close } = relayOn(wire, 'relay');
    const { frames } = seen;
    const seqs = (f: Buffer[]) => f.map((x) => x.readUInt32BE(14));
    let unplugged: { delivered: number; refused: number };
    try {
      // fast path: 600 full-size frames queued before the relay reads any (this turn of the
      // event loop), 1.5 KB of stream each: a message holds about 170, so the stream fills
      // in the middle of a batch and the batch goes on once the message is out
      for (let seq = 0; seq < 600; seq++) hostA.send(testFrame(b.mac, a.mac, seq, 1514));
      hostB.send(testFrame(BROADCAST, b.mac, 5000, 60));
      await reached("b got a's 600 frames", () => hostB.read().length >= 600);
      await reached("a got b's broadcast", () => hostA.read().length >= 1);
      expect(seen.messages).toBeGreaterThanOrEqual(4);

      // an unplugged port: what goes to it counted delivered and refused, as relay.ts counts it
      relay.drop(1);
      const before = relay.portStats()[1];
      for (let seq = 600; seq < 603; seq++) hostA.send(testFrame(b.mac, a.mac, seq, 100));
      await reached('3 frames to the unplugged port streamed', () => streamed(602));
      const after = relay.portStats()[1];
      unplugged = { delivered: after.delivered - before.delivered, refused: after.refused - before.refused };
      expect(unplugged.refused).toBeGreaterThanOrEqual(3);
      expect(unplugged.refused).toBe(unplugged.delivered);
      expect(seen.slow).toBe(0);
      relay.reopen(1);

      // relay.ts's path: a rule that acts on none of them (it stays: the rest of the case goes this way), then a cut port
      relay.addRule(IDLE_RULE);
      for (let seq = 603; seq < 613; seq++) hostA.send(testFrame(b.mac, a.mac, seq, 300));
      await reached('b got 10 more through relay.ts', () => hostB.read().length >= 610);
      relay.setCut(1, true);
      hostA.send(testFrame(b.mac, a.mac, 613, 300));
      await reached('the frame to the cut port streamed', () => streamed(613));
      relay.setCut(1, false);
      // an injected frame (a scripted peer's)
      relay.receive(1, testFrame(a.mac, b.mac, 7000, 80), true);
      await reached('a got the injected frame', () => hostA.read().length >= 2);
      expect(seen.slow).toBeGreaterThanOrEqual(12);

      expect(seqs(hostB.got)).toEqual(Array.from({ length: 610 }, (_, i) => (i < 600 ? i : i + 3)));
      expect(seqs(hostA.got)).toEqual([5000, 7000]);
    } finally {
      close();
    }

    // the stream and the pcap: one record; each test frame's bytes whole
    expectOneRecord(frames, pcap);
    const tests = frames.filter((f) => isTest(f.data));
    const seqOf = (f: BatchedFrame) => f.data.readUInt32BE(14);
    const fromA = tests.filter((f) => f.port === 0);
    expect(fromA.map(seqOf)).toEqual(Array.from({ length: 614 }, (_, i) => i));
    expect(fromA.every((f) => f.length === f.data.length && f.data.equals(testFrame(b.mac, a.mac, seqOf(f), f.length)))).toBe(true);
    expect(fromA.every((f) => f.to.length === 1 && f.to[0] === 1)).toBe(true);
    expect(fromA.filter((f) => f.fate !== undefined).map((f) => [seqOf(f), f.fate])).toEqual([[613, 'cut']]);
    const fromB = tests.filter((f) => f.port === 1);
    expect(fromB.map(seqOf)).toEqual([5000, 7000]);
    expect(fromB[0].to).toEqual([0]);
    expect(fromB[1].fate).toBe('injected');

    // the counters agree with the stream, whichever path counted
    const stats = relay.portStats();
    for (const p of [0, 1]) {
      expect(stats[p].captured).toBe(frames.filter((f) => f.port === p && f.fate !== 'injected').length);
      expect(stats[p].delivered).toBe(frames.filter((f) => f.to.includes(p) && f.fate !== 'cut').length);
    }
    expect(stats[0].refused).toBe(0);
    expect(stats[1].refused).toBe(unplugged.refused);
  });

  it('streams the bytes of a frame that relay.ts would: up to the end of its TCP header, else the first snap bytes', () => {
    const tcp4 = Buffer.alloc(14 + 20 + 32 + 100);
    tcp4.writeUInt16BE(0x0800, 12);
    tcp4[14] = 0x45;
    tcp4[14 + 9] = 6;
    tcp4[14 + 20 + 12] = 8 << 4;
    const tcp6 = Buffer.alloc(14 + 40 + 20 + 10);
    tcp6.writeUInt16BE(0x86dd, 12);
    tcp6[14 + 6] = 6;
    tcp6[14 + 40 + 12] = 5 << 4;
    const fragment = Buffer.from(tcp4);
    fragment.writeUInt16BE(0x0010, 14 + 6); // a later fragment: no TCP header in it
    const badOffset = Buffer.from(tcp4);
    badOffset[14 + 20 + 12] = 3 << 4;
    const udp = Buffer.from(tcp4);
    udp[14 + 9] = 17;
    const cases = [tcp4, tcp6, fragment, badOffset, udp, tcp4.subarray(0, 60), tcp4.subarray(0, 40), Buffer.alloc(0)];
    for (const frame of cases) {
      for (const snap of [0, 20, 54, 66, 256, 65535]) expect(nativeHeaderBytes(frame, snap), `${frame.length} bytes, snap ${snap}`).toBe(headerBytes(frame, snap));
    }
  });
});

describe('bridge mode: the tap through the fast path, the counter through relay.ts', () => {
  const wire = twoHosts(true);

  it("records both directions in one sequence, each frame as whose host sent it, and counts the second host's where they enter the bridge", async () => {
    const { a, b, relay, hostA, hostB, pcap, seen, streamed, close } = relayOn(wire, 'bridge');
    const { frames } = seen;
    try {
      for (let seq = 0; seq < 300; seq++) hostA.send(testFrame(b.mac, a.mac, seq, 1514));
      hostB.send(testFrame(a.mac, b.mac, 5000, 60));
      await reached('b got 300 frames through the bridge', () => hostB.read().length >= 300);
      await reached("b's frame recorded", () => streamed(5000) && streamed(299));
      await reached("b's frame counted", () => relay.portStats()[1].captured >= 1);
      expect(seen.slow).toBe(0);
    } finally {
      close();
    }
    expectOneRecord(frames, pcap);
    const tests = frames.filter((f) => isTest(f.data));
    expect(tests.filter((f) => f.port === 0).map((f) => f.data.readUInt32BE(14))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(tests.filter((f) => f.port === 1).map((f) => [f.data.readUInt32BE(14), f.to])).toEqual([[5000, [0]]]);
    const stats = relay.portStats();
    expect(stats[0].captured).toBe(frames.filter((f) => f.port === 0).length);
    // the counter on b's port saw what b sent, recorded or not yet
    expect(stats[1].captured).toBeGreaterThanOrEqual(frames.filter((f) => f.port === 1).length);
    for (const p of [0, 1]) expect(stats[p].delivered).toBe(frames.filter((f) => f.to.includes(p)).length);
    expect(stats.every((s) => s.refused === 0)).toBe(true);
  });
});
