import { RangeSet } from './ranges.js';
import type { DecodedFrame, TcpHeader } from './types.js';

export interface TcpEndpoint {
  addr: string;
  port: number;
}

/** Marks the analysis puts on a segment (the first two are also ladder SegmentMarks). */
export type AnalysisMark = 'retransmission' | 'out-of-order' | 'keep-alive' | 'previous-not-captured';

/** What the analysis found out about one TCP segment. */
export interface SegmentInfo {
  /** position of the frame in the analysed array */
  index: number;
  /** frame number as given in the input */
  n: number;
  time: bigint;
  /** connection id (1-based, in order of first appearance) */
  conn: number;
  /** 0: sent by connection.a (the client when the handshake was seen), 1: sent by connection.b */
  dir: 0 | 1;
  /** seq relative to the sender's ISN (unsigned 32-bit, as Wireshark shows it) */
  relSeq: number;
  /** ack relative to the receiver's ISN; null when the ACK flag is not set */
  relAck: number | null;
  /** TCP payload length */
  len: number;
  flags: number;
  /** some of the segment's sequence space (data, SYN or FIN) was seen before */
  retransmission: boolean;
  /** the segment fills a hole below the highest sequence number seen, with sequence space never seen before */
  outOfOrder: boolean;
  /** len 0 or 1 at highest-seen − 1 without SYN/FIN/RST: a keep-alive probe, not a retransmission */
  keepAlive: boolean;
  /** the segment starts beyond the highest sequence number seen: something before it was not captured */
  gapBefore: boolean;
  /** the four booleans above as a list, in that order */
  marks: AnalysisMark[];
  tcp: TcpHeader;
  decoded: DecodedFrame;
}

export interface Connection {
  /** 1-based, in order of first appearance */
  id: number;
  /** the client (sender of the first SYN) when known, otherwise the sender of the first segment */
  a: TcpEndpoint;
  b: TcpEndpoint;
  segments: SegmentInfo[];
  /** initial sequence numbers from the SYNs; null when that SYN was not captured */
  isn: [number | null, number | null];
  /** the base each direction's relative numbers subtract: the ISN, or (first seq − 1) without a SYN */
  base: [number | null, number | null];
  /** FIN seen from a / from b */
  fin: [boolean, boolean];
  rst: boolean;
  firstTime: bigint;
  lastTime: bigint;
}

export interface ConnectionAnalysis {
  connections: Connection[];
  /** every TCP segment, in input order (frames without a TCP header are left out) */
  segments: SegmentInfo[];
}

export interface FrameForAnalysis {
  n: number;
  time: bigint;
  decoded: DecodedFrame;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;
const TWO32 = 0x100000000;

/** Per direction sequence-space bookkeeping, in unwrapped (64-bit-like) sequence positions. */
class Direction {
  /** absolute seq of position `refPos` */
  private refSeq = 0;
  private refPos = 0;
  started = false;
  /** highest end (exclusive) of sequence space seen */
  next = 0;
  /** sequence space seen */
  readonly seen = new RangeSet();

  pos(seq: number): number {
    if (!this.started) {
      this.started = true;
      this.refSeq = seq;
      this.refPos = TWO32; // room below for segments older than the first one seen
      this.next = this.refPos;
      return this.refPos;
    }
    const diff = (seq - this.refSeq) | 0;
    return this.refPos + diff;
  }

  add(start: number, end: number, seqAtEnd: number): void {
    this.seen.add(start, end);
    if (end > this.next) {
      this.next = end;
      this.refPos = end;
      this.refSeq = seqAtEnd;
    }
  }
}

interface ConnState {
  conn: Connection;
  dirs: [Direction, Direction];
  /** a SYN-ACK was seen from a / from b */
  synAck: [boolean, boolean];
}

/**
 * Connections by 4-tuple, either direction, without building a key string per frame:
 * address strings come from the decoder's caches, so Map lookups on them are cheap.
 */
class TupleIndex {
  private readonly byLow = new Map<string, Map<string, Map<number, ConnState>>>();

  private inner(lo: string, hi: string, create: boolean): Map<number, ConnState> | undefined {
    let m = this.byLow.get(lo);
    if (!m) {
      if (!create) return undefined;
      m = new Map();
      this.byLow.set(lo, m);
    }
    let ports = m.get(hi);
    if (!ports && create) {
      ports = new Map();
      m.set(hi, ports);
    }
    return ports;
  }

  get(src: string, sport: number, dst: string, dport: number): ConnState | undefined {
    const srcLow = src < dst || (src === dst && sport <= dport);
    const ports = srcLow ? this.inner(src, dst, false) : this.inner(dst, src, false);
    return ports?.get(srcLow ? sport * 65536 + dport : dport * 65536 + sport);
  }

  set(src: string, sport: number, dst: string, dport: number, st: ConnState): void {
    const srcLow = src < dst || (src === dst && sport <= dport);
    const ports = (srcLow ? this.inner(src, dst, true) : this.inner(dst, src, true))!;
    ports.set(srcLow ? sport * 65536 + dport : dport * 65536 + sport, st);
  }
}

function sameEndpoint(e: TcpEndpoint, addr: string, port: number): boolean {
  return e.port === port && e.addr === addr;
}

/**
 * Groups TCP segments into connections by 4-tuple and works out, per segment, its
 * direction, Wireshark-style relative seq/ack and whether it is a retransmission or
 * out of order. A SYN (without ACK) starts a new connection on a known 4-tuple when
 * its seq differs from the base of its direction (a reconnect after a close or a
 * reset, or port reuse); with the same seq it is a retransmission. Without a SYN, a
 * direction's relative numbers start at 1 (base = first seq − 1), as in Wireshark.
 *
 * A segment carrying sequence space (data, SYN or FIN) below the highest sequence
 * number seen in its direction is a retransmission when it overlaps what was seen
 * (every range seen is remembered), and out of order when it only fills a hole.
 * Wireshark calls a hole filled later than the handshake's round trip after the
 * segment that went furthest a retransmission (of something the capture missed);
 * here it stays out of order: a capture of the wire misses nothing, and real
 * reordering (two CPUs' backlogs feeding a bridge) fills holes late. The first
 * SYN-ACK of each side of a simultaneous open is no retransmission either (Wireshark
 * marks both).
 */
export function analyseConnections(frames: readonly FrameForAnalysis[]): ConnectionAnalysis {
  const tracker = new ConnectionTracker();
  const segments: SegmentInfo[] = [];
  for (let i = 0; i < frames.length; i++) {
    const info = tracker.add(frames[i], i);
    if (info) segments.push(info);
  }
  return { connections: tracker.connections, segments };
}

export interface ConnectionTrackerOptions {
  /** keep every SegmentInfo in its Connection.segments (default true); false keeps memory flat for streaming */
  keepSegments?: boolean;
}

/**
 * The analysis of analyseConnections one frame at a time, for captures read as a
 * stream: add() returns the frame's SegmentInfo as soon as the frame arrives.
 */
export class ConnectionTracker {
  readonly connections: Connection[] = [];
  private readonly byTuple = new TupleIndex();
  private readonly keepSegments: boolean;

  constructor(opts: ConnectionTrackerOptions = {}) {
    this.keepSegments = opts.keepSegments ?? true;
  }

  /** `index` is the frame's position in the input (SegmentInfo.index); default n − 1. */
  add(fr: FrameForAnalysis, index: number = fr.n - 1): SegmentInfo | undefined {
    const d = fr.decoded;
    const tcp = d.tcp;
    const ip = d.ip;
    if (!tcp || !ip) return undefined;
    const byTuple = this.byTuple;
    const connections = this.connections;
    const src = ip.src;
    const dst = ip.dst;
    const flags = tcp.flags;
    const pureSyn = (flags & (SYN | ACK)) === SYN;
    let st = byTuple.get(src, tcp.sport, dst, tcp.dport);
    if (st && pureSyn) {
      // Wireshark's rule: a SYN whose seq is not the base of its direction belongs to a
      // new connection (a reconnect after a close or a reset always has a new ISN);
      // one with the same seq is a retransmission, even after a RST.
      const c = st.conn;
      const base = c.base[sameEndpoint(c.a, src, tcp.sport) ? 0 : 1];
      if (base !== null && base !== tcp.seq) st = undefined;
    }
    if (!st) {
      const clientIsDst = (flags & (SYN | ACK)) === (SYN | ACK);
      const a: TcpEndpoint = clientIsDst ? { addr: dst, port: tcp.dport } : { addr: src, port: tcp.sport };
      const b: TcpEndpoint = clientIsDst ? { addr: src, port: tcp.sport } : { addr: dst, port: tcp.dport };
      const conn: Connection = {
        id: connections.length + 1,
        a,
        b,
        segments: [],
        isn: [null, null],
        base: [null, null],
        fin: [false, false],
        rst: false,
        firstTime: fr.time,
        lastTime: fr.time,
      };
      connections.push(conn);
      st = { conn, dirs: [new Direction(), new Direction()], synAck: [false, false] };
      byTuple.set(src, tcp.sport, dst, tcp.dport, st);
    }
    const c = st.conn;
    const dir: 0 | 1 = sameEndpoint(c.a, src, tcp.sport) ? 0 : 1;
    const rev: 0 | 1 = dir === 0 ? 1 : 0;
    const seq = tcp.seq;
    // In a simultaneous open each side sends its SYN, then a SYN-ACK with the same
    // ISN: that SYN-ACK answers the peer's SYN and repeats nothing but the SYN's own
    // sequence number. Only a later SYN-ACK with that seq is a retransmission.
    const synAck = (flags & (SYN | ACK)) === (SYN | ACK);
    const simultaneousSynAck = synAck && !st.synAck[dir] && c.isn[dir] === seq;
    if (synAck) st.synAck[dir] = true;
    if (flags & SYN && c.isn[dir] === null && !st.dirs[dir].started) c.isn[dir] = seq;
    if (c.base[dir] === null) c.base[dir] = flags & SYN ? seq : (seq - 1) >>> 0;
    if ((flags & ACK) && c.base[rev] === null) c.base[rev] = (tcp.ack - 1) >>> 0;
    const relSeq = (seq - c.base[dir]!) >>> 0;
    const relAck = flags & ACK ? (tcp.ack - c.base[rev]!) >>> 0 : null;

    const len = tcp.payloadLength > 0 ? tcp.payloadLength : 0;
    const space = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    const dirState = st.dirs[dir];
    const wasStarted = dirState.started;
    const start = dirState.pos(seq);
    let retransmission = false;
    let outOfOrder = false;
    let keepAlive = false;
    let gapBefore = false;
    if (wasStarted) {
      if (len <= 1 && (flags & (SYN | FIN | RST)) === 0 && start === dirState.next - 1) {
        keepAlive = true;
      } else if (space > 0 && start < dirState.next) {
        const from = simultaneousSynAck ? start + 1 : start;
        // bytes never seen before are never a retransmission: they fill a hole
        if (from < start + space && dirState.seen.overlaps(from, start + space)) retransmission = true;
        else if (!simultaneousSynAck) outOfOrder = true;
      } else if (start > dirState.next && (flags & RST) === 0) {
        gapBefore = true;
      }
    }
    if (space > 0) dirState.add(start, start + space, (seq + space) >>> 0);

    if (flags & FIN) c.fin[dir] = true;
    if (flags & RST) c.rst = true;
    c.lastTime = fr.time;
    const marks: AnalysisMark[] = [];
    if (retransmission) marks.push('retransmission');
    if (outOfOrder) marks.push('out-of-order');
    if (keepAlive) marks.push('keep-alive');
    if (gapBefore) marks.push('previous-not-captured');
    const info: SegmentInfo = {
      index,
      n: fr.n,
      time: fr.time,
      conn: c.id,
      dir,
      relSeq,
      relAck,
      len,
      flags,
      retransmission,
      outOfOrder,
      keepAlive,
      gapBefore,
      marks,
      tcp,
      decoded: d,
    };
    if (this.keepSegments) c.segments.push(info);
    return info;
  }
}
