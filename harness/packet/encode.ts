import { parseIp, parseMac } from './addr.js';
import { internetChecksum, foldChecksum, onesSum, pseudoHeaderSum } from './checksum.js';
import { OPTION_KINDS } from './tcp-options.js';
import type { TcpOption } from './types.js';

/** A flag byte, letters from "FSRPAUEC" (e.g. "SA"), or names (["SYN", "ACK"] or "SYN ACK"). */
export type FlagsSpec = number | string | readonly string[];

/**
 * One option as the encoder writes it: either verbatim bytes, or kind/name plus the
 * fields of TcpOption (a decoded TcpOption can be passed back as is). `length`, when
 * given, is written as the length byte even if it does not match the body — for
 * deliberately malformed options.
 */
export type TcpOptionSpec =
  | { bytes: Uint8Array }
  | (Partial<Omit<TcpOption, 'kind' | 'name'>> & ({ kind: number; name?: string } | { kind?: number; name: string }));

export interface FrameSpec {
  srcMac?: string;
  dstMac?: string;
  /** IPv4 or IPv6 addresses; both must be of the same family */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: FlagsSpec;
  /** raw window field; default 65535 */
  win?: number;
  urgent?: number;
  /** written in the given order, exactly */
  options?: readonly TcpOptionSpec[];
  /**
   * How to fill the option list up to a 4-byte boundary: 'eol' (default) appends one
   * EOL then zero bytes (RFC 9293 §3.1: the list ends with EOL, padding is zeros);
   * 'nop' appends NOPs; false pads nothing and throws if the list is not aligned.
   */
  pad?: 'eol' | 'nop' | false;
  payload?: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit; default 64 */
  ttl?: number;
  /** IPv4 TOS / IPv6 traffic class; default 0 */
  tos?: number;
  /** IPv4 identification; default 0 */
  ipId?: number;
  /** IPv4 DF bit; default true (as Linux sends TCP) */
  dontFragment?: boolean;
  flowLabel?: number;
  /** 802.1Q VLAN ids, outermost first */
  vlans?: readonly number[];
  /** raw data offset field (4 bits) instead of the real header length, for malformed frames */
  dataOffset?: number;
  /** TCP checksum to write instead of the correct one */
  tcpChecksum?: number;
}

const FLAG_BITS: Readonly<Record<string, number>> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 };
const LETTER_BITS: Readonly<Record<string, number>> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

/** Whole flag names win over letters: "ECE" is the ECE flag, not E + C. */
export function parseFlags(spec: FlagsSpec): number {
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec > 255) throw new RangeError(`tcp flags ${spec} not in 0..255`);
    return spec;
  }
  const words = typeof spec === 'string' ? spec.trim().split(/[\s,|+]+/).filter(Boolean) : [...spec];
  if (words.length > 0 && words.every((w) => FLAG_BITS[w.toUpperCase()] !== undefined)) {
    return words.reduce((acc, w) => acc | FLAG_BITS[w.toUpperCase()], 0);
  }
  if (typeof spec !== 'string') throw new TypeError(`unknown tcp flag name in ${JSON.stringify(spec)}`);
  let bits = 0;
  for (const ch of spec.replace(/\s+/g, '')) {
    const b = LETTER_BITS[ch];
    if (b === undefined) throw new TypeError(`unknown tcp flag letter ${JSON.stringify(ch)} in ${JSON.stringify(spec)}`);
    bits |= b;
  }
  return bits;
}

function u32be(v: number): number[] {
  const x = v >>> 0;
  return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
}

function optionKind(o: Exclude<TcpOptionSpec, { bytes: Uint8Array }>): number {
  if (o.kind !== undefined) return o.kind;
  const k = o.name === undefined ? undefined : OPTION_KINDS[o.name];
  if (k === undefined) throw new TypeError(`tcp option without a known kind: ${JSON.stringify(o.name)}`);
  return k;
}

/** The bytes of one option. */
export function encodeOption(o: TcpOptionSpec): number[] {
  if ('bytes' in o && o.bytes instanceof Uint8Array) return [...o.bytes];
  const opt = o as Exclude<TcpOptionSpec, { bytes: Uint8Array }>;
  const kind = optionKind(opt);
  if (kind === 0 || kind === 1) return [kind];
  let body: number[];
  if (kind === 2 && opt.mss !== undefined) body = [(opt.mss >> 8) & 255, opt.mss & 255];
  else if (kind === 3 && opt.wscale !== undefined) body = [opt.wscale & 255];
  else if (kind === 5 && opt.sack !== undefined) body = opt.sack.flatMap(u32be);
  else if (kind === 8 && opt.tsval !== undefined) body = [...u32be(opt.tsval), ...u32be(opt.tsecr ?? 0)];
  else if (opt.raw !== undefined) body = [...opt.raw];
  else if (kind === 253 || kind === 254) body = opt.exid === undefined ? [] : [(opt.exid >> 8) & 255, opt.exid & 255];
  else if (kind === 30 && opt.subtype !== undefined) body = [(opt.subtype & 15) << 4];
  else if (kind === 4 || kind === 34) body = [];
  else throw new TypeError(`tcp option ${kind} needs its fields or raw bytes`);
  const length = opt.length ?? body.length + 2;
  return [kind, length & 255, ...body];
}

/** The option list of a TCP header, padded per `pad`. */
export function encodeOptions(options: readonly TcpOptionSpec[], pad: 'eol' | 'nop' | false = 'eol'): Uint8Array {
  const bytes = options.flatMap(encodeOption);
  if (bytes.length % 4 !== 0) {
    if (pad === false) throw new RangeError(`tcp options are ${bytes.length} bytes, not a multiple of 4, and pad is false`);
    if (pad === 'eol') bytes.push(0);
    while (bytes.length % 4 !== 0) bytes.push(pad === 'nop' ? 1 : 0);
  }
  if (bytes.length > 40) throw new RangeError(`tcp options are ${bytes.length} bytes, more than 40`);
  return Uint8Array.from(bytes);
}

const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
const DEFAULT_DST_MAC = '02:00:00:00:00:02';

/**
 * Builds an Ethernet + IPv4/IPv6 + TCP frame with correct IPv4 header and TCP
 * checksums (unless spec.tcpChecksum overrides the latter).
 */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  if (src.length !== dst.length) throw new TypeError(`address families differ: ${spec.src} and ${spec.dst}`);
  const v6 = src.length === 16;
  const opts = encodeOptions(spec.options ?? [], spec.pad ?? 'eol');
  const payload = spec.payload ?? new Uint8Array(0);
  const vlans = spec.vlans ?? [];
  const l2 = 14 + 4 * vlans.length;
  const ipLen = v6 ? 40 : 20;
  const tcpLen = 20 + opts.length + payload.length;
  if (tcpLen + (v6 ? 0 : 20) > 65535) throw new RangeError(`segment of ${tcpLen} bytes does not fit an IP datagram`);
  const f = new Uint8Array(l2 + ipLen + tcpLen);
  f.set(parseMac(spec.dstMac ?? DEFAULT_DST_MAC), 0);
  f.set(parseMac(spec.srcMac ?? DEFAULT_SRC_MAC), 6);
  let o = 12;
  for (const vid of vlans) {
    f[o] = 0x81;
    f[o + 1] = 0x00;
    f[o + 2] = (vid >> 8) & 0x0f;
    f[o + 3] = vid & 255;
    o += 4;
  }
  const w16 = (at: number, v: number): void => {
    f[at] = (v >> 8) & 255;
    f[at + 1] = v & 255;
  };
  const w32 = (at: number, v: number): void => f.set(u32be(v), at);
  w16(o, v6 ? 0x86dd : 0x0800);
  const ip = l2;
  const tos = spec.tos ?? 0;
  const ttl = spec.ttl ?? 64;
  if (v6) {
    const flow = spec.flowLabel ?? 0;
    w32(ip, (6 * 0x10000000) + ((tos & 255) << 20) + (flow & 0xfffff));
    w16(ip + 4, tcpLen);
    f[ip + 6] = 6;
    f[ip + 7] = ttl;
    f.set(src, ip + 8);
    f.set(dst, ip + 24);
  } else {
    f[ip] = 0x45;
    f[ip + 1] = tos;
    w16(ip + 2, 20 + tcpLen);
    w16(ip + 4, spec.ipId ?? 0);
    w16(ip + 6, spec.dontFragment === false ? 0 : 0x4000);
    f[ip + 8] = ttl;
    f[ip + 9] = 6;
    f.set(src, ip + 12);
    f.set(dst, ip + 16);
    w16(ip + 10, internetChecksum(f, ip, ip + 20));
  }
  const t = ip + ipLen;
  w16(t, spec.sport);
  w16(t + 2, spec.dport);
  w32(t + 4, spec.seq);
  w32(t + 8, spec.ack ?? 0);
  const doff = spec.dataOffset ?? (20 + opts.length) / 4;
  f[t + 12] = (doff & 15) << 4;
  f[t + 13] = parseFlags(spec.flags);
  w16(t + 14, spec.win ?? 65535);
  w16(t + 18, spec.urgent ?? 0);
  f.set(opts, t + 20);
  f.set(payload, t + 20 + opts.length);
  const sum = foldChecksum(onesSum(f, t, t + tcpLen, pseudoHeaderSum(src, dst, 6, tcpLen)));
  w16(t + 16, spec.tcpChecksum ?? sum);
  return f;
}
