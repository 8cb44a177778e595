/**
 * The scripted peer: a host whose own TCP stack is silenced, from which a case sends
 * hand-made segments (any flags, numbers, options in any order, payload) that enter
 * the wire as if the host had sent them. A connection helper keeps seq/ack, like
 * packetimpact's, so a case does not compute sequence numbers by hand.
 */
import { encodeFrame, type TcpOptionSpec, type FlagsSpec } from '../packet/index.js';
import type { TraceSegment } from '../trace/types.js';
import type { Wire, WireHost } from './wire.js';
import { InputError } from '../input-error.js';

export interface RawSegment {
  /** destination host name */
  to: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** "SYN", "SYN ACK", ["RST"], letters "SA", or a flag byte */
  flags: FlagsSpec;
  win?: number;
  /** in the order given; [] sends none (a SYN without MSS, say) */
  options?: TcpOptionSpec[];
  payload?: Uint8Array | string;
}

const TWO32 = 2 ** 32;
const FIN = 0x01;
const SYN = 0x02;

export class RawPeer {
  /** segments addressed to this host that a `toReceive` has already consumed */
  cursor = 0;
  private nextPort = 40000;

  constructor(
    private readonly wire: Wire,
    readonly index: number,
    private readonly inject: (from: number, data: Uint8Array) => Promise<void>,
  ) {}

  get host(): WireHost {
    return this.wire.hosts[this.index];
  }

  get name(): string {
    return this.host.name;
  }

  /** Segments the wire carried to this host, in order. */
  received(): TraceSegment[] {
    return this.wire.segments().filter((s) => s.to === this.name);
  }

  private addressFor(peer: WireHost, family: 4 | 6): [string, string] {
    return family === 6 ? [this.host.ipv6, peer.ipv6] : [this.host.ipv4, peer.ipv4];
  }

  /** Send one hand-made segment; checksums are computed. */
  async send(seg: RawSegment): Promise<void> {
    const peer = this.wire.hosts[this.wire.portOf(seg.to)];
    const [src, dst] = this.addressFor(peer, this.wire.family);
    const frame = encodeFrame({
      srcMac: this.host.mac,
      dstMac: peer.mac,
      src,
      dst,
      sport: seg.sport,
      dport: seg.dport,
      seq: seg.seq >>> 0,
      ack: (seg.ack ?? 0) >>> 0,
      flags: seg.flags,
      win: seg.win ?? 64240,
      options: seg.options ?? [],
      payload: typeof seg.payload === 'string' ? Buffer.from(seg.payload) : seg.payload,
    });
    await this.inject(this.index, frame);
  }

  /** A connection this peer drives by hand; nothing is sent until the case sends. */
  connection(to: { name: string } | string, dport: number, opts: { sport?: number; isn?: number } = {}): RawConnection {
    const name = typeof to === 'string' ? to : to.name;
    return new RawConnection(this, name, opts.sport ?? this.nextPort++, dport, opts.isn ?? Math.floor(Math.random() * TWO32));
  }
}

export interface RawSendOptions {
  payload?: Uint8Array | string;
  options?: TcpOptionSpec[];
  win?: number;
  /** override the tracked numbers */
  seq?: number;
  ack?: number;
}

/** One connection of a scripted peer: tracks SND.NXT and RCV.NXT from what was sent and seen. */
export class RawConnection {
  sndNxt: number;
  rcvNxt: number | null = null;
  peerIsn: number | null = null;
  private seen = 0;

  constructor(
    readonly peer: RawPeer,
    readonly to: string,
    readonly sport: number,
    readonly dport: number,
    readonly isn: number,
  ) {
    this.sndNxt = isn;
  }

  /** Segments of this connection the peer has received. */
  received(): TraceSegment[] {
    return this.peer.received().filter((s) => s.from === this.to && s.sport === this.dport && s.dport === this.sport);
  }

  /** Bring RCV.NXT up to date with what arrived. */
  sync(): void {
    const segs = this.received();
    for (; this.seen < segs.length; this.seen++) {
      const s = segs[this.seen];
      const flags = flagBits(s.flags);
      if (flags & SYN) this.peerIsn = s.seq;
      const end = (s.seq + s.len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) % TWO32;
      if (this.rcvNxt === null || after(end, this.rcvNxt)) this.rcvNxt = end;
    }
  }

  /** Send a segment with the tracked numbers: `send('SYN', { options: [] })`, `send('ACK')`, `send('RST')`. */
  async send(flags: string, opts: RawSendOptions = {}): Promise<void> {
    this.sync();
    const bits = flagBits(flags);
    const payload = typeof opts.payload === 'string' ? Buffer.from(opts.payload) : opts.payload;
    const seq = opts.seq ?? this.sndNxt;
    const ack = opts.ack ?? (bits & 0x10 ? (this.rcvNxt ?? 0) : 0);
    await this.peer.send({ to: this.to, sport: this.sport, dport: this.dport, seq, ack, flags, win: opts.win, options: opts.options, payload });
    const used = (payload?.length ?? 0) + (bits & SYN ? 1 : 0) + (bits & FIN ? 1 : 0);
    if (opts.seq === undefined) this.sndNxt = (this.sndNxt + used) % TWO32;
  }
}

const BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };

function flagBits(flags: string): number {
  return flags
    .split(/[\s,]+/)
    .filter(Boolean)
    .reduce((b, f) => {
      const bit = BITS[f.toUpperCase()];
      if (bit === undefined) throw new InputError(`unknown TCP flag "${f}" (flags: ${Object.keys(BITS).join(' ')})`);
      return b | bit;
    }, 0);
}

/** a is after b in sequence space */
function after(a: number, b: number): boolean {
  return ((a - b + TWO32) % TWO32) < TWO32 / 2 && a !== b;
}
