import { toHex } from './bytes.js';
import type { DecodedFrame, TcpOption } from './types.js';

export interface FormatOptionsOptions {
  /** include timestamp values ("ts 123 0"); false gives just "ts". Default true. */
  tsValues?: boolean;
  /**
   * The absolute sequence number the segment's relative ack counts from (ack − relative
   * ack): SACK blocks, which name the other direction's bytes, then print relative too,
   * beside a relative seq and ack. Absolute when not given.
   */
  sackBase?: number;
}

function formatOne(o: TcpOption, tsValues: boolean, sackBase: number): string {
  switch (o.name) {
    case 'mss':
      return o.mss === undefined ? `mss len ${o.length}` : `mss ${o.mss}`;
    case 'wscale':
      return o.wscale === undefined ? `wscale len ${o.length}` : `wscale ${o.wscale}`;
    case 'ts':
      if (o.tsval === undefined) return `ts len ${o.length}`;
      return tsValues ? `ts ${o.tsval} ${o.tsecr}` : 'ts';
    case 'sack': {
      if (!o.sack) return `sack len ${o.length}`;
      let s = 'sack';
      for (let i = 0; i + 1 < o.sack.length; i += 2) s += ` ${(o.sack[i] - sackBase) >>> 0}:${(o.sack[i + 1] - sackBase) >>> 0}`;
      return s;
    }
    case 'eol':
    case 'nop':
    case 'sackOK':
    case 'md5':
      return o.name;
    case 'ao':
      return o.raw && o.raw.length >= 2 ? `ao keyid ${o.raw[0]} rnext ${o.raw[1]}` : 'ao';
    case 'mptcp':
      return o.subtype === undefined ? 'mptcp' : `mptcp ${o.subtype}`;
    case 'fastopen':
      return o.raw && o.raw.length > 0 ? `fastopen ${toHex(o.raw)}` : 'fastopen';
    case 'exp':
      return o.exid === undefined ? `exp ${o.kind}` : `exp ${o.kind} 0x${o.exid.toString(16).padStart(4, '0')}`;
    default:
      return `unknown ${o.kind} len ${o.length}`;
  }
}

/**
 * Short option text, options in wire order separated by commas:
 * `mss 1460,sackOK,ts 123 0,nop,wscale 7` (or `…,ts,…` with `{ tsValues: false }`).
 * SACK blocks print as `sack left:right …` (relative with `sackBase`); options with an unexpected length as `<name> len N`.
 */
export function formatOptions(options: readonly TcpOption[], opts: FormatOptionsOptions = {}): string {
  const tsValues = opts.tsValues ?? true;
  const sackBase = opts.sackBase ?? 0;
  let s = '';
  for (let i = 0; i < options.length; i++) {
    if (i) s += ',';
    s += formatOne(options[i], tsValues, sackBase);
  }
  return s;
}

const FLAG_ORDER: ReadonlyArray<readonly [number, string]> = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

const FLAG_NAMES: readonly string[] = Array.from({ length: 256 }, (_, v) =>
  FLAG_ORDER.filter(([bit]) => v & bit)
    .map(([, name]) => name)
    .join(' '),
);

/**
 * Flag names separated by spaces in the fixed order SYN FIN RST PSH ACK URG ECE CWR,
 * so the usual segments read "SYN", "SYN ACK", "FIN ACK", "RST ACK", "PSH ACK".
 * No flag set gives "". Bits above 0x80 (the reserved AE/NS bit lives in the data
 * offset byte) are ignored.
 */
export function flagNames(flags: number): string {
  return FLAG_NAMES[flags & 0xff];
}

/**
 * One line for any decoded frame, e.g.
 * `10.0.0.1:40000 > 10.0.0.2:80 SYN seq 1 ack 0 win 64240 len 0 <mss 1460,…>`,
 * `ARP who-has 10.0.0.2 tell 10.0.0.1`, `fe80::1 > ff02::2 ICMPv6 type 133 code 0`.
 * A malformed frame ends in `[malformed: reason]`.
 */
export function summariseFrame(f: DecodedFrame): string {
  let s: string;
  const ip = f.ip;
  const tcp = f.tcp;
  if (ip && tcp) {
    const src = ip.version === 6 ? `[${ip.src}]` : ip.src;
    const dst = ip.version === 6 ? `[${ip.dst}]` : ip.dst;
    s = `${src}:${tcp.sport} > ${dst}:${tcp.dport} ${flagNames(tcp.flags) || 'none'} seq ${tcp.seq}`;
    if (tcp.flags & 0x10) s += ` ack ${tcp.ack}`;
    s += ` win ${tcp.win} len ${tcp.payloadLength}`;
    if (tcp.options.length) s += ` <${formatOptions(tcp.options)}>`;
  } else if (f.arp) {
    const a = f.arp;
    if (a.op === 1) s = `ARP who-has ${a.targetIp} tell ${a.senderIp}`;
    else if (a.op === 2) s = `ARP ${a.senderIp} is-at ${a.senderMac}`;
    else s = `ARP op ${a.op} ${a.senderIp} > ${a.targetIp}`;
  } else if (ip) {
    s = `${ip.src} > ${ip.dst} ` + (f.other ?? `IPv${ip.version} protocol ${ip.protocol}`);
  } else if (f.eth) {
    s = `${f.eth.src} > ${f.eth.dst} ` + (f.other ?? `ethertype 0x${f.eth.etherType.toString(16).padStart(4, '0')}`);
  } else {
    s = f.other ?? `link type ${f.linkType}`;
  }
  if (f.malformed !== null) s += ` [malformed: ${f.malformed}]`;
  return s;
}
