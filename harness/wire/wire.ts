/**
 * The case's view of the wire: every frame the sidecar relayed, decoded, with TCP
 * segments named by host and numbered relative to each direction's ISN.
 */
import { analyseConnections, summariseFrame, flagNames, type DecodedFrame, type TcpOption } from '../packet/index.js';
import type { TraceSegment, TraceOtherFrame, TraceOption } from '../trace/types.js';
import { parsePattern, type SegmentPattern } from '../pattern/index.js';
import type { ReleaseEvent, Fate } from './protocol.js';
import type { BatchedFrame } from './frame-stream.js';
import type { SidecarClient } from './client.js';
import type { FrameMatch, RuleSpec } from './rule-spec.js';
import { RawPeer } from './raw-peer.js';
import { InputError } from '../input-error.js';

export interface WireHost {
  name: string;
  mac: string;
  ipv4: string;
  ipv6: string;
}

export interface WireFrame {
  n: number;
  /** monotonic ns */
  time: bigint;
  port: number;
  to: number[];
  length: number;
  readonly decoded: DecodedFrame;
  readonly fate?: Fate;
  readonly rule?: string;
  /** held or delayed: ms until it went out */
  heldMs?: number;
}

/** A rule as the case set it, for the trace. */
export interface WireRuleLog {
  id: string;
  /** seconds since the case started */
  t: number;
  action: string;
  pattern: string;
  until?: string;
  ms?: number;
  count?: number;
  nth?: number;
}

export interface RuleOptions {
  /** how many matching segments the rule acts on (default 1; delay: all) */
  count?: number;
  /** act from the nth matching segment on (default 1) */
  nth?: number;
}

interface Link {
  client: SidecarClient;
  session: string;
  /** silence a host's own TCP stack for a scripted peer */
  silence(host: string): Promise<void>;
  bridge: boolean;
  /** called once per scripted peer made */
  adoptPeer(peer: RawPeer): void;
}

export class Wire {
  readonly frames: WireFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private cache: { count: number; segments: TraceSegment[] } | null = null;
  private link: Link | null = null;
  private ruleSeq = 0;
  readonly rules: WireRuleLog[] = [];
  private readonly peers = new Map<string, RawPeer>();
  /** the first hold whose trigger had gone by before its segment came */
  private lateHold: { rule: string; at: bigint } | null = null;

  constructor(
    readonly hosts: WireHost[],
    /** monotonic ns of the case start: trace times count from here */
    readonly t0: bigint,
    /** where the pcap is, for messages */
    readonly pcapPath: string,
    /** the address family the case runs in */
    readonly family: 4 | 6 = 4,
  ) {}

  /** true when a kernel bridge forwards and the sidecar only records */
  get bridged(): boolean {
    return this.link?.bridge ?? false;
  }

  /** Connect the case's wire to its sidecar session (done by hosts()). */
  attach(link: Link): void {
    this.link = link;
  }

  private get sidecar(): Link {
    if (!this.link) throw new InputError('the wire has no hosts yet: call hosts() first');
    return this.link;
  }

  /** Feed a frame (or a release) streamed by the sidecar. */
  push(e: BatchedFrame | ReleaseEvent): void {
    if (e.type === 'release') {
      const f = this.frames.find((x) => x.n === e.n);
      if (f) f.heldMs = e.ms;
      this.cache = null;
    } else {
      if (e.triggerPassed && e.rule) this.lateHold ??= { rule: e.rule, at: BigInt(e.triggerPassed) };
      this.frames.push(e);
    }
    for (const w of this.waiters) w();
  }

  /**
   * What is wrong with the wire's rules, if anything: a hold whose trigger went by before
   * the segment to hold came would hold it until the case ends.
   */
  problem(): Error | null {
    if (!this.lateHold) return null;
    const r = this.rules.find((x) => x.id === this.lateHold!.rule);
    const what = r ? `wire hold "${r.pattern}" until "${r.until}"` : `wire ${this.lateHold.rule}`;
    return new Error(`${what}: the trigger had already passed at ${this.seconds(this.lateHold.at).toFixed(3)} s`);
  }

  /** Throw the wire's problem, if any: every wire call and wire wait of the case does. */
  check(): void {
    const e = this.problem();
    if (e) throw e;
  }

  portOf(host: string): number {
    const i = this.hosts.findIndex((h) => h.name === host);
    if (i < 0) throw new InputError(`unknown host "${host}" (hosts: ${this.hosts.map((h) => h.name).join(', ')})`);
    return i;
  }

  /** A segment pattern as the sidecar matches it: direction, flags, len, win, options. */
  frameMatch(text: string): FrameMatch {
    const p = parsePattern(text);
    if (p.kind !== 'segment') throw new InputError(`wire rules need a segment pattern, not "${text}"`);
    for (const host of [p.from, p.to]) {
      if (!this.hosts.some((h) => h.name === host)) {
        throw new InputError(`wire rule "${text}": unknown host "${host}" (hosts: ${this.hosts.map((h) => h.name).join(', ')})`);
      }
    }
    const unsupported = (['seq', 'ack'] as const).filter((k) => p[k]).concat(p.opts ? ['opts' as never] : []).concat(p.marks ? ['marks' as never] : []);
    if (unsupported.length) throw new InputError(`wire rule "${text}": ${unsupported.join(', ')} cannot be matched on the wire (use direction, flags, len, win, mss, wscale, ts, sackOK)`);
    return {
      text,
      from: this.portOf(p.from),
      to: this.portOf(p.to),
      flags: p.flags,
      optionalFlags: p.optionalFlags,
      ...numberSpec(p, 'len'),
      ...numberSpec(p, 'win'),
      ...(p.mss ? { mss: p.mss } : {}),
      ...(p.wscale ? { wscale: p.wscale } : {}),
      ...(p.ts ? { ts: p.ts } : {}),
      ...(p.sackOK ? { sackOK: p.sackOK } : {}),
    };
  }

  private async addRule(action: RuleSpec['action'], pattern: string, opts: RuleOptions & { until?: string; ms?: number }, defaultCount: number) {
    this.check();
    const nth = opts.nth ?? 1;
    const count = opts.count ?? defaultCount;
    if (!Number.isInteger(nth) || nth < 1) throw new InputError(`wire.${action}: nth must be a whole number ≥ 1, got ${nth}`);
    if (!Number.isInteger(count) || count < -1 || count === 0) throw new InputError(`wire.${action}: count must be a whole number ≥ 1 (or -1 for all), got ${count}`);
    const id = `${action}#${++this.ruleSeq}`;
    const rule: RuleSpec = {
      id,
      action,
      match: this.frameMatch(pattern),
      skip: nth - 1,
      count,
      ...(opts.until ? { until: this.frameMatch(opts.until) } : {}),
      ...(opts.ms !== undefined ? { ms: opts.ms } : {}),
    };
    await this.sidecar.client.request({ op: 'rule', session: this.sidecar.session, rule });
    this.rules.push({
      id,
      t: this.seconds(process.hrtime.bigint()),
      action,
      pattern,
      ...(opts.until ? { until: opts.until } : {}),
      ...(opts.ms !== undefined ? { ms: opts.ms } : {}),
      count,
      nth,
    });
  }

  /** Lose the first `count` (default 1) segments matching `pattern`. */
  drop(pattern: string, opts: RuleOptions = {}): Promise<void> {
    return this.addRule('drop', pattern, opts, 1);
  }

  /** Keep matching segments until a segment matching the `until` pattern has been seen, then deliver both. */
  hold(pattern: string, opts: RuleOptions = {}): { until(trigger: string): Promise<void> } {
    return { until: (trigger: string) => this.addRule('hold', pattern, { ...opts, until: trigger }, 1) };
  }

  /** Deliver matching segments `ms` later (all of them unless `count`). */
  delay(pattern: string, ms: number, opts: RuleOptions = {}): Promise<void> {
    if (!(ms >= 0)) return Promise.reject(new InputError(`wire.delay: ms must be ≥ 0, got ${ms}`));
    return this.addRule('delay', pattern, { ...opts, ms }, -1);
  }

  /** Deliver the first `count` (default 1) matching segments twice. */
  duplicate(pattern: string, opts: RuleOptions = {}): Promise<void> {
    return this.addRule('duplicate', pattern, opts, 1);
  }

  /** Deliver the next two segments matching `pattern` swapped. */
  reorder(pattern: string): Promise<void> {
    return this.addRule('reorder', pattern, {}, 2);
  }

  /** Resolves when every frame the sidecar has captured so far is in `frames`. */
  async settle(): Promise<void> {
    this.check();
    await this.sidecar.client.request({ op: 'sync', session: this.sidecar.session });
    this.check();
  }

  /** The host's link goes dead both ways. */
  async cut(host: { name: string } | string): Promise<void> {
    this.check();
    const name = typeof host === 'string' ? host : host.name;
    await this.sidecar.client.request({ op: 'cut', session: this.sidecar.session, port: this.portOf(name), cut: true });
    this.rules.push({ id: `cut#${++this.ruleSeq}`, t: this.seconds(process.hrtime.bigint()), action: 'cut', pattern: name });
  }

  /** The host's link comes back. */
  async mend(host: { name: string } | string): Promise<void> {
    this.check();
    const name = typeof host === 'string' ? host : host.name;
    await this.sidecar.client.request({ op: 'cut', session: this.sidecar.session, port: this.portOf(name), cut: false });
    this.rules.push({ id: `mend#${++this.ruleSeq}`, t: this.seconds(process.hrtime.bigint()), action: 'mend', pattern: name });
  }

  /**
   * Turn `host` into a scripted peer: its own TCP stack is silenced (it neither answers
   * nor resets) and the case sends hand-made segments in its name.
   */
  async raw(host: { name: string } | string): Promise<RawPeer> {
    const name = typeof host === 'string' ? host : host.name;
    let peer = this.peers.get(name);
    if (!peer) {
      const index = this.portOf(name);
      await this.sidecar.silence(name);
      peer = new RawPeer(this, index, (from, data) =>
        this.sidecar.client.request({ op: 'inject', session: this.sidecar.session, from, data: Buffer.from(data).toString('base64') }).then(() => undefined),
      );
      this.peers.set(name, peer);
      this.sidecar.adoptPeer(peer);
    }
    return peer;
  }

  /** Frames streamed so far, for a scripted peer's cursor. */
  get frameCount(): number {
    return this.frames.length;
  }

  /** Resolves at the next frame or after `ms`. */
  nextFrame(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  private seconds(t: bigint): number {
    return Number(t - this.t0) / 1e9;
  }

  hostByAddress(addr: string): string {
    return this.hosts.find((h) => h.ipv4 === addr || h.ipv6 === addr)?.name ?? addr;
  }

  /** TCP segments in capture order. */
  segments(): TraceSegment[] {
    if (this.cache?.count === this.frames.length) return this.cache.segments;
    const conns = analyseConnections(this.frames.map((f) => ({ n: f.n, time: f.time, decoded: f.decoded })));
    const segments: TraceSegment[] = [];
    for (const s of conns.segments) {
      const f = this.frames[s.index];
      const tcp = f.decoded.tcp!;
      const ip = f.decoded.ip!;
      segments.push({
        n: f.n,
        t: this.seconds(f.time),
        from: this.hostByAddress(ip.src),
        to: this.hostByAddress(ip.dst),
        src: ip.src,
        sport: tcp.sport,
        dst: ip.dst,
        dport: tcp.dport,
        seq: tcp.seq,
        ack: tcp.ack,
        rseq: s.relSeq,
        rack: s.relAck ?? 0,
        flags: flagNames(tcp.flags),
        win: tcp.win,
        len: tcp.payloadLength,
        options: tcp.options.map(toTraceOption),
        conn: s.conn,
        ...(marksOf(f, s.marks).length ? { marks: marksOf(f, s.marks) } : {}),
        ...(f.heldMs !== undefined ? { heldMs: f.heldMs } : {}),
        ...(f.decoded.malformed ? { malformed: f.decoded.malformed } : {}),
      });
    }
    this.cache = { count: this.frames.length, segments };
    return segments;
  }

  otherFrames(): TraceOtherFrame[] {
    return this.frames
      .filter((f) => !f.decoded.tcp)
      .map((f) => ({ n: f.n, t: this.seconds(f.time), from: this.hosts[f.port]?.name ?? `port ${f.port}`, summary: summariseFrame(f.decoded) }));
  }
}

function marksOf(f: WireFrame, analysis: string[]): string[] {
  return f.fate ? [f.fate, ...analysis] : analysis;
}

function numberSpec(p: SegmentPattern, key: 'len' | 'win'): Partial<Pick<FrameMatch, 'len' | 'win'>> {
  const v = p[key];
  if (!v) return {};
  if (v.kind !== 'number') throw new InputError(`wire rule "${p.text}": ${key} must be a number comparison`);
  return { [key]: { op: v.op, value: v.value } };
}

function toTraceOption(o: TcpOption): TraceOption {
  const { raw, ...rest } = o;
  return raw ? { ...rest, raw: Buffer.from(raw).toString('hex') } : rest;
}
