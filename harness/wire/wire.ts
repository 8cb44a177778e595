/**
 * The case's view of the wire: every frame the sidecar relayed, decoded, with TCP
 * segments named by host and numbered relative to each direction's ISN.
 */
import { decodeFrame, analyseConnections, summariseFrame, flagNames, type DecodedFrame, type TcpOption } from '../packet/index.js';
import type { TraceSegment, TraceOtherFrame, TraceOption } from '../trace/types.js';
import type { FrameEvent } from './protocol.js';

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
  decoded: DecodedFrame;
}

export class Wire {
  readonly frames: WireFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private cache: { count: number; segments: TraceSegment[] } | null = null;

  constructor(
    readonly hosts: WireHost[],
    /** monotonic ns of the case start: trace times count from here */
    readonly t0: bigint,
    /** where the pcap is, for messages */
    readonly pcapPath: string,
  ) {}

  /** Feed a frame streamed by the sidecar. */
  push(e: FrameEvent): void {
    const data = Buffer.from(e.data, 'base64');
    this.frames.push({
      n: e.n,
      time: BigInt(e.time),
      port: e.port,
      to: e.to,
      length: e.length,
      decoded: decodeFrame(data, 1, e.length),
    });
    for (const w of this.waiters) w();
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
        ...(s.marks.length ? { marks: s.marks } : {}),
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

function toTraceOption(o: TcpOption): TraceOption {
  const { raw, ...rest } = o;
  return raw ? { ...rest, raw: Buffer.from(raw).toString('hex') } : rest;
}
