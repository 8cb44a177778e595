/**
 * The relay: each frame from a host is timestamped, written to the pcap, streamed to
 * the harness, run through the case's wire rules and sent out of the port of its
 * destination. The ports and their packet socket are WirePorts'; frames come and go in
 * batches. While the case has no rule and no cut port, RelayCore's fast path (C) does
 * all of this for each batch; here is the rest, on the same numbers, pcap and counters.
 * In bridge mode a kernel bridge forwards and the relay only records (the fast path too).
 */
import { decodeFrame } from '../packet/index.js';
import { frameMatches } from './rule-match.js';
import { macWords } from './port-filter.js';
import { WirePorts } from './wire-ports.js';
import { RelayCore } from './native-relay.js';
import type { FrameBatch } from './frame-stream.js';
import type { RuleSpec } from './rule-spec.js';
import type { Fate, PortSpec, PortStats } from './protocol.js';

export interface RelayedFrame {
  n: number;
  time: bigint;
  port: number;
  to: readonly number[];
  /** valid only during the call */
  data: Buffer;
  fate: Fate | undefined;
  rule: string | undefined;
  /** held, though the rule's trigger had already gone by at this time */
  triggerPassed: bigint | undefined;
}

export interface RelayEvents {
  /** frames were added to the stream */
  added(): void;
  release(n: number, ms: number): void;
}

const BROADCAST_BIT = 0x01;
const NOWHERE: readonly number[] = Object.freeze([]);

interface Pending {
  n: number;
  time: bigint;
  to: readonly number[];
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
  private readonly io: WirePorts;
  private readonly core: RelayCore;
  private readonly rules: ActiveRule[] = [];
  private readonly cut = new Set<number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly macs: { hi: number; lo: number }[];
  /** where a unicast frame to port i goes, and a broadcast from port i */
  private readonly unicastTo: readonly number[][];
  private readonly broadcastFrom: readonly number[][];
  private closed = false;

  constructor(
    readonly ports: PortSpec[],
    netnsPath: string,
    pcapPath: string,
    /** where the frames go to the harness */
    private readonly stream: FrameBatch,
    private readonly events: RelayEvents,
    private readonly mode: 'relay' | 'bridge' = 'relay',
  ) {
    this.macs = ports.map((p) => macWords(p.hostMac));
    this.unicastTo = ports.map((_, i) => [i]);
    this.broadcastFrom = ports.map((_, i) => ports.map((_, j) => j).filter((j) => j !== i));
    this.core = new RelayCore(ports.length, pcapPath, stream.snap);
    try {
      // Every frame the kernel refuses is counted here, whatever the reason: the error of
      // a frame refused in the middle of a batch is not told, and a guest's port coming
      // up while a batch goes out makes the reason (ENETDOWN, counted nowhere, or a drop
      // the veth counted) impossible to tell afterwards. A frame it accepts, the veth has
      // handed to its host's end, counted there as received.
      this.io = new WirePorts(ports, netnsPath, mode, (port) => this.core.count(port, 'refused'));
    } catch (e) {
      this.core.close();
      throw e;
    }
    this.core.useSocket(this.io.fastPath(), mode === 'bridge');
    ports.forEach((_, i) => this.plugged(i));
    this.io.start(
      (port, data, time) => {
        if (data) this.receive(port, data, false, time);
        else this.core.count(port, 'captured'); // bridge mode's second host, counted where it enters the bridge
      },
      (offset) => {
        if (this.rules.length > 0 || this.cut.size > 0) return false;
        if (this.core.drain(offset, this.stream) > 0) this.events.added();
        return true;
      },
    );
  }

  /** Tell the fast path where port `i` is now. */
  private plugged(i: number): void {
    this.core.setPort(i, this.io.ifindexOf(i), this.macs[i]);
  }

  /** The host behind `index` got a new link (reboot): capture on it again. */
  reopen(index: number): void {
    this.io.replug(index);
    this.plugged(index);
  }

  /** Take in every frame waiting in the kernel now. */
  drain(): void {
    if (!this.closed) this.io.drain();
  }

  private destinations(from: number, frame: Buffer): readonly number[] {
    if (frame[0] & BROADCAST_BIT) return this.broadcastFrom[from];
    const hi = frame.readUInt32BE(0);
    const lo = frame.readUInt16BE(4);
    for (let i = 0; i < this.macs.length; i++) {
      if (this.macs[i].hi === hi && this.macs[i].lo === lo) return i === from ? NOWHERE : this.unicastTo[i];
    }
    return NOWHERE;
  }

  private frame(f: RelayedFrame): void {
    this.stream.add(f);
    this.events.added();
  }

  /**
   * A frame from the host behind `from` (or made by a scripted peer in its name), seen
   * at `stamp` (monotonic ns; now if null). `data` is valid only during the call: what
   * outlives it (a held frame) is copied.
   */
  receive(from: number, data: Buffer, injected: boolean, stamp: bigint | null = null): void {
    if (this.closed) return;
    const { n, time } = this.core.record(data, stamp);
    // in bridge mode the second host's frames are counted at its own port (WirePorts)
    if (!injected && !(this.mode === 'bridge' && from === 1)) this.core.count(from, 'captured');
    const to = this.destinations(from, data);
    if (this.mode === 'bridge') {
      for (const p of to) this.core.count(p, 'delivered'); // the bridge forwards it
      this.frame({ n, time, port: from, to, data, fate: undefined, rule: undefined, triggerPassed: undefined });
      return;
    }
    const decoded = this.rules.length ? decodeFrame(data, 1, data.length) : null;
    let fate: Fate | undefined = injected ? 'injected' : undefined;
    let rule: string | undefined;
    let triggerPassed: bigint | undefined;
    let after: (() => void) | null = null;

    if (this.cut.size > 0 && (this.cut.has(from) || to.some((p) => this.cut.has(p)))) {
      fate = 'cut';
    } else {
      const r = decoded ? this.rules.find((x) => this.applies(x, decoded, from, to)) : undefined;
      if (!r) {
        for (const p of to) this.deliver(p, data);
      } else {
        rule = r.spec.id;
        const frame = (): Pending => ({ n, time, to, data: Buffer.from(data) });
        switch (r.spec.action) {
          case 'drop':
            fate = 'dropped';
            break;
          case 'hold':
            fate = 'held';
            // nothing will release it: its trigger went by before it came
            if (!r.released && r.pending.length === 0 && r.triggerPassed !== null) triggerPassed = r.triggerPassed;
            r.pending.push(frame());
            break;
          case 'delay': {
            fate = 'delayed';
            const f = frame();
            this.later(r.spec.ms ?? 0, () => this.release(f));
            break;
          }
          case 'duplicate':
            for (const p of to) this.deliver(p, data);
            after = () => {
              const copy = this.core.record(data, null);
              for (const p of to) this.deliver(p, data);
              this.frame({ n: copy.n, time: copy.time, port: from, to, data, fate: 'duplicated', rule: r.spec.id, triggerPassed: undefined });
            };
            break;
          case 'reorder':
            if (r.pending.length === 0) {
              fate = 'held';
              r.pending.push(frame());
            } else {
              for (const p of to) this.deliver(p, data);
              after = () => this.release(r.pending.shift()!);
            }
            break;
        }
      }
    }
    // every frame record has the same shape (no spreads, no optional keys): V8 keeps one hidden class
    this.frame({ n, time, port: from, to, data, fate, rule, triggerPassed });
    after?.();
    if (decoded) this.releaseHolds(decoded, from, to, time);
  }

  private applies(r: ActiveRule, decoded: ReturnType<typeof decodeFrame>, from: number, to: readonly number[]): boolean {
    if (r.spec.count !== -1 && r.acted >= r.spec.count) return false;
    if (!frameMatches(r.spec.match, decoded, from, to)) return false;
    r.seen++;
    if (r.seen <= r.spec.skip) return false;
    r.acted++;
    return true;
  }

  /** Frames held until a frame like this one (seen at `time`): deliver them now, after it. */
  private releaseHolds(decoded: ReturnType<typeof decodeFrame>, from: number, to: readonly number[], time: bigint): void {
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
   * the case brings it up, or at teardown) makes the kernel refuse it, and so does a
   * port that is gone (its host crashed): the relay counts it as refused.
   */
  deliver(port: number, data: Buffer): void {
    this.core.count(port, 'delivered');
    if (!this.io.send(port, data)) this.core.count(port, 'refused');
  }

  /** The host behind `port` is gone with its link: stop capturing there. */
  drop(port: number): void {
    this.io.unplug(port);
    this.plugged(port);
  }

  portStats(): PortStats[] {
    return this.ports.map((p, i) => ({ host: p.host, ...this.core.counters(i) }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.io.close();
    this.core.close();
  }
}
