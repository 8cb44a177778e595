/** Builders for test captures: pcap and pcapng in either byte order, frames of every link type. */
import { encodeFrame, type FrameSpec } from '../../harness/packet/index.js';

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Little helper writing integers in a chosen byte order. */
export class Bytes {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    const b = [v & 255, (v >> 8) & 255];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const x = v >>> 0;
    const b = [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  /** pcapng packet timestamp: high 32 bits first, each word in the section's byte order */
  ts(v: bigint): this {
    return this.u32(Number((v >> 32n) & 0xffffffffn)).u32(Number(v & 0xffffffffn));
  }
  bytes(b: Uint8Array | number[]): this {
    this.parts.push(...b);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface PcapFixtureFrame {
  sec: number;
  frac: number;
  data: Uint8Array;
  orig?: number;
}

/** Classic pcap with the given byte order and timestamp precision. */
export function pcapFile(opts: { le: boolean; nano: boolean; linkType?: number; snaplen?: number }, frames: PcapFixtureFrame[]): Uint8Array {
  const b = new Bytes(opts.le)
    .u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkType ?? 1);
  for (const f of frames) {
    b.u32(f.sec).u32(f.frac).u32(f.data.length).u32(f.orig ?? f.data.length).bytes(f.data);
  }
  return b.done();
}

function option(b: Bytes, code: number, value: Uint8Array): void {
  b.u16(code).u16(value.length).bytes(value).pad4();
}

function block(le: boolean, type: number, body: (b: Bytes) => void): Uint8Array {
  const inner = new Bytes(le);
  body(inner);
  inner.pad4();
  const len = inner.length + 12;
  return new Bytes(le).u32(type).u32(len).bytes(inner.done()).u32(len).done();
}

export const ng = {
  shb(le: boolean, opts: { major?: number } = {}): Uint8Array {
    return block(le, 0x0a0d0d0a, (b) => {
      b.u32(0x1a2b3c4d).u16(opts.major ?? 1).u16(0).u64(-1n & 0xffffffffffffffffn);
      option(b, 4, new TextEncoder().encode('tcpladder test')); // shb_userappl
      b.u32(0); // opt_endofopt
    });
  },
  idb(le: boolean, linkType: number, opts: { snaplen?: number; tsresol?: number; tsoffset?: bigint; name?: string } = {}): Uint8Array {
    return block(le, 1, (b) => {
      b.u16(linkType).u16(0).u32(opts.snaplen ?? 0);
      if (opts.name) option(b, 2, new TextEncoder().encode(opts.name));
      if (opts.tsresol !== undefined) option(b, 9, Uint8Array.of(opts.tsresol));
      if (opts.tsoffset !== undefined) option(b, 14, new Bytes(le).u64(opts.tsoffset).done());
      if (opts.name || opts.tsresol !== undefined || opts.tsoffset !== undefined) b.u32(0);
    });
  },
  epb(le: boolean, iface: number, units: bigint, data: Uint8Array, orig?: number): Uint8Array {
    return block(le, 6, (b) => {
      b.u32(iface).ts(units).u32(data.length).u32(orig ?? data.length).bytes(data).pad4();
      option(b, 1, new TextEncoder().encode('a comment'));
      b.u32(0);
    });
  },
  spb(le: boolean, data: Uint8Array, orig?: number): Uint8Array {
    return block(le, 3, (b) => {
      b.u32(orig ?? data.length).bytes(data);
    });
  },
  /** obsolete Packet Block (type 2) */
  pb(le: boolean, iface: number, units: bigint, data: Uint8Array): Uint8Array {
    return block(le, 2, (b) => {
      b.u16(iface).u16(0).ts(units).u32(data.length).u32(data.length).bytes(data);
    });
  },
  /** any other block: name resolution (4), interface statistics (5), custom (0xbad) … */
  other(le: boolean, type: number, body: number[]): Uint8Array {
    return block(le, type, (b) => b.bytes(body));
  },
};

export const CLIENT = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };

/** An Ethernet IPv4 TCP frame with a few defaults filled in. */
export function tcpFrame(spec: Partial<FrameSpec> = {}): Uint8Array {
  return encodeFrame({
    ...CLIENT,
    src: '10.0.0.1',
    dst: '10.0.0.2',
    sport: 40000,
    dport: 80,
    seq: 1000,
    ack: 0,
    flags: 'S',
    win: 64240,
    ...spec,
  });
}

/** A SYN as Linux sends it: mss, sackOK, ts, nop, wscale. */
export const LINUX_SYN_OPTIONS = [
  { kind: 2, mss: 1460 },
  { kind: 4 },
  { kind: 8, tsval: 123456, tsecr: 0 },
  { kind: 1 },
  { kind: 3, wscale: 7 },
];

/** The IP packet of an Ethernet frame (drops the 14-byte Ethernet header). */
export function ipPacket(frame: Uint8Array): Uint8Array {
  return frame.slice(14);
}

/**
 * Inserts IPv6 extension headers (each given as its full bytes, next-header byte
 * included and patched here) between the IPv6 header and TCP of an Ethernet frame.
 */
export function withIpv6Extensions(frame: Uint8Array, exts: { type: number; bytes: number[] }[]): Uint8Array {
  const ip = 14;
  const upper = frame[ip + 6];
  const hdrs = exts.map((e, i) => {
    const b = [...e.bytes];
    b[0] = i + 1 < exts.length ? exts[i + 1].type : upper;
    return b;
  });
  const extBytes = hdrs.flat();
  const out = concat([frame.subarray(0, ip + 40), Uint8Array.from(extBytes), frame.subarray(ip + 40)]);
  out[ip + 6] = exts.length ? exts[0].type : upper;
  const plen = ((frame[ip + 4] << 8) | frame[ip + 5]) + extBytes.length;
  out[ip + 4] = plen >> 8;
  out[ip + 5] = plen & 255;
  return out;
}
