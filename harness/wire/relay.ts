/**
 * The relay: one capture handle per wire port, each frame captured on one port is
 * timestamped, written to the pcap, run through the case's wire rules and sent out
 * of the port of its destination.
 *
 * Each handle filters `ether src <host MAC>`, so the relay's own injections, which
 * libpcap sees again as outgoing frames, are dropped by the kernel before JS.
 * In bridge mode a kernel bridge forwards and the relay only records.
 */
import { createRequire } from 'node:module';
import { openSync, closeSync } from 'node:fs';
import { PcapWriter, decodeFrame } from '../packet/index.js';
import { setns } from '../sockets/libc.js';
import { frameMatches } from './rule-match.js';
import type { RuleSpec } from './rule-spec.js';
import type { Fate, PortSpec, PortStats } from './protocol.js';

const require = createRequire(import.meta.url);
const { Cap } = require('cap') as { Cap: new () => CapHandle };

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  send(buffer: Buffer, length: number): void;
  close(): void;
}

export interface RelayedFrame {
  n: number;
  time: bigint;
  port: number;
  to: number[];
  data: Buffer;
  fate?: Fate;
  rule?: string;
  /** held, though the rule's trigger had already gone by at this time */
  triggerPassed?: bigint;
}

export interface RelayEvents {
  frame(f: RelayedFrame): void;
  release(n: number, ms: number): void;
}

// Frames are stamped with the monotonic clock (the clock of process.hrtime and of the
// tracefs instance), so wire and kernel events compare directly; the pcap gets wall time.
const epochBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

const BROADCAST_BIT = 0x01;
const RING_BYTES = 8 * 1024 * 1024;
// In bridge mode nothing slows the senders down to the recorder's pace, so the
// kernel ring must absorb bursts (an 8 MiB transfer is ~6000 frames in a few ms).
const BRIDGE_RING_BYTES = 128 * 1024 * 1024;

interface Pending {
  n: number;
  time: bigint;
  to: number[];
  data: Buffer;
}

interface ActiveRule {
  spec: RuleSpec;
  seen: number;
  acted: number;
  /** hold: frames kept until `until` matches; reorder: the first of the pair */
  pending: Pending[];
  /** hold: whether its trigger has released frames yet */
  released: boolean;
  /** hold: when its trigger first went by with nothing held, before any release */
  triggerPassed: bigint | null;
}

export class Relay {
  private readonly handles: (CapHandle | null)[] = [];
  // cap copies each frame into the buffer given to open() through a raw pointer and
  // keeps no reference to it: the buffers must stay reachable as long as the handles
  private readonly buffers: Buffer[] = [];
  private readonly stats: PortStats[];
  private readonly writer: PcapWriter;
  private readonly rules: ActiveRule[] = [];
  private readonly cut = new Set<number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private frames = 0;
  private closed = false;

  constructor(
    readonly ports: PortSpec[],
    private readonly netnsPath: string,
    pcapPath: string,
    private readonly events: RelayEvents,
    private readonly mode: 'relay' | 'bridge' = 'relay',
  ) {
    this.stats = ports.map((p) => ({ host: p.host, captured: 0, delivered: 0, unsent: 0 }));
    this.writer = new PcapWriter(pcapPath);
    try {
      this.inWireNamespace(() => (mode === 'bridge' ? this.openBridgeTap() : ports.forEach((_, i) => this.openPort(i))));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private inWireNamespace(fn: () => void): void {
    const home = openSync('/proc/thread-self/ns/net', 'r');
    const target = openSync(this.netnsPath, 'r');
    try {
      setns(target);
      try {
        fn();
      } finally {
        setns(home);
      }
    } finally {
      closeSync(home);
      closeSync(target);
    }
  }

  private openPort(index: number): void {
    const port = this.ports[index];
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    this.buffers.push(buffer);
    cap.open(port.ifname, `ether src ${port.hostMac}`, RING_BYTES, buffer);
    cap.on('packet', (nbytes) => this.receive(index, Buffer.from(buffer.subarray(0, nbytes)), false));
    this.handles[index] = cap;
  }

  /**
   * Bridge mode: one handle on the first port sees both directions in the order that
   * host's link carries them (its frames as they enter the bridge, the other host's as
   * the bridge hands them over). Separate handles per port would lose the order across
   * ports, and the bridge device itself never sees forwarded unicast frames.
   */
  private openBridgeTap(): void {
    if (this.ports.length !== 2) throw new Error('bridge mode records two hosts; use the relay for more');
    const macs = this.ports.map((p) => p.hostMac);
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    this.buffers.push(buffer);
    cap.open(this.ports[0].ifname, macs.map((m) => `ether src ${m}`).join(' or '), BRIDGE_RING_BYTES, buffer);
    cap.on('packet', (nbytes) => {
      const data = Buffer.from(buffer.subarray(0, nbytes));
      const src = [...data.subarray(6, 12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const from = macs.indexOf(src);
      if (from >= 0) this.receive(from, data, false);
    });
    this.handles[0] = cap;
    // The second host's frames are counted where they enter the bridge: the tap sees
    // them only once forwarded, and a frame the bridge drops (its port losing carrier
    // as the host's link goes down) was still sent, and is still counted.
    const counter = new Cap();
    const scratch = Buffer.alloc(65535);
    this.buffers.push(scratch);
    counter.open(this.ports[1].ifname, `ether src ${macs[1]}`, BRIDGE_RING_BYTES, scratch);
    counter.on('packet', () => this.stats[1].captured++);
    this.handles[1] = counter;
  }

  /** The host behind `index` got a new link (reboot): capture on it again. */
  reopen(index: number): void {
    this.drop(index);
    this.inWireNamespace(() => this.openPort(index));
  }

  private destinations(from: number, frame: Buffer): number[] {
    if (frame[0] & BROADCAST_BIT) return this.ports.map((_, i) => i).filter((i) => i !== from);
    const dst = [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const to = this.ports.findIndex((p) => p.hostMac === dst);
    return to >= 0 && to !== from ? [to] : [];
  }

  private record(data: Buffer): { n: number; time: bigint } {
    const time = process.hrtime.bigint();
    this.frames++;
    this.writer.write({ time: epochBase + time, data });
    return { n: this.frames, time };
  }

  /** A frame from the host behind `from` (or made by a scripted peer in its name). */
  receive(from: number, data: Buffer, injected: boolean): void {
    if (this.closed) return;
    const { n, time } = this.record(data);
    // in bridge mode the second host's frames are counted at its own port (openBridgeTap)
    if (!injected && !(this.mode === 'bridge' && from === 1)) this.stats[from].captured++;
    const to = this.destinations(from, data);
    if (this.mode === 'bridge') {
      for (const p of to) this.stats[p].delivered++; // the bridge forwards it
      this.events.frame({ n, time, port: from, to, data });
      return;
    }
    const decoded = this.rules.length ? decodeFrame(data, 1, data.length) : null;
    let fate: Fate | undefined = injected ? 'injected' : undefined;
    let rule: string | undefined;
    let triggerPassed: bigint | undefined;
    let after: (() => void) | null = null;

    if (this.cut.has(from) || to.some((p) => this.cut.has(p))) {
      fate = 'cut';
    } else {
      const r = decoded ? this.rules.find((x) => this.applies(x, decoded, from, to)) : undefined;
      if (!r) {
        for (const p of to) this.deliver(p, data);
      } else {
        rule = r.spec.id;
        const frame: Pending = { n, time, to, data };
        switch (r.spec.action) {
          case 'drop':
            fate = 'dropped';
            break;
          case 'hold':
            fate = 'held';
            // nothing will release it: its trigger went by before it came
            if (!r.released && r.pending.length === 0 && r.triggerPassed !== null) triggerPassed = r.triggerPassed;
            r.pending.push(frame);
            break;
          case 'delay':
            fate = 'delayed';
            this.later(r.spec.ms ?? 0, () => this.release(frame));
            break;
          case 'duplicate':
            for (const p of to) this.deliver(p, data);
            after = () => {
              const copy = this.record(data);
              for (const p of to) this.deliver(p, data);
              this.events.frame({ n: copy.n, time: copy.time, port: from, to, data, fate: 'duplicated', rule: r.spec.id });
            };
            break;
          case 'reorder':
            if (r.pending.length === 0) {
              fate = 'held';
              r.pending.push(frame);
            } else {
              for (const p of to) this.deliver(p, data);
              after = () => this.release(r.pending.shift()!);
            }
            break;
        }
      }
    }
    this.events.frame({ n, time, port: from, to, data, fate, rule, ...(triggerPassed !== undefined ? { triggerPassed } : {}) });
    after?.();
    if (decoded) this.releaseHolds(decoded, from, to, time);
  }

  private applies(r: ActiveRule, decoded: ReturnType<typeof decodeFrame>, from: number, to: number[]): boolean {
    if (r.spec.count !== -1 && r.acted >= r.spec.count) return false;
    if (!frameMatches(r.spec.match, decoded, from, to)) return false;
    r.seen++;
    if (r.seen <= r.spec.skip) return false;
    r.acted++;
    return true;
  }

  /** Frames held until a frame like this one (seen at `time`): deliver them now, after it. */
  private releaseHolds(decoded: ReturnType<typeof decodeFrame>, from: number, to: number[], time: bigint): void {
    for (const r of this.rules) {
      if (r.spec.action !== 'hold' || !r.spec.until) continue;
      if (!frameMatches(r.spec.until, decoded, from, to)) continue;
      if (r.pending.length === 0) {
        if (!r.released) r.triggerPassed ??= time;
        continue;
      }
      r.released = true;
      for (const f of r.pending.splice(0)) this.release(f);
    }
  }

  private release(f: Pending): void {
    if (this.closed) return;
    for (const p of f.to) this.deliver(p, f.data);
    this.events.release(f.n, Number(process.hrtime.bigint() - f.time) / 1e6);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  addRule(spec: RuleSpec): void {
    if (this.mode === 'bridge') throw new Error('wire rules need the relay; this case uses bridge mode');
    this.rules.push({ spec, seen: 0, acted: 0, pending: [], released: false, triggerPassed: null });
  }

  setCut(port: number, cut: boolean): void {
    if (this.mode === 'bridge') throw new Error('cut/mend need the relay; this case uses bridge mode');
    if (cut) this.cut.add(port);
    else this.cut.delete(port);
  }

  /**
   * Send a frame out of `port` towards its host. A host whose link is down (before
   * the case brings it up, or at teardown) makes the send fail with ENOBUFS and the
   * veth counts the frame as dropped; a port that is gone (its host crashed) counts
   * nowhere, so the relay counts it as unsent.
   */
  deliver(port: number, data: Buffer): void {
    this.stats[port].delivered++;
    const h = this.handles[port];
    if (!h) {
      this.stats[port].unsent++;
      return;
    }
    try {
      h.send(data, data.length);
    } catch (e) {
      if (!/No buffer space/.test((e as Error).message)) this.stats[port].unsent++;
    }
  }

  /** The host behind `port` is gone with its link: stop capturing there. */
  drop(port: number): void {
    closeHandle(this.handles[port]);
    this.handles[port] = null;
  }

  portStats(): PortStats[] {
    return this.stats.map((s) => ({ ...s }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const h of this.handles) closeHandle(h);
    this.writer.closeSync();
  }
}

/**
 * cap's close() stops its uv_poll handle but never uv_close()s it, and the handle lives
 * inside the native object: once that object is garbage-collected, libuv's handle list
 * points into freed memory, and the sidecar dies later, at random (SIGSEGV, malloc
 * aborts). Closed handles are therefore kept for the life of the process; each is a
 * few hundred bytes once libpcap's ring is gone.
 */
const closedHandles: CapHandle[] = [];

function closeHandle(h: CapHandle | null | undefined): void {
  if (!h) return;
  try {
    h.close();
  } catch {
    // the interface may already be gone with its namespace
  }
  closedHandles.push(h);
}
