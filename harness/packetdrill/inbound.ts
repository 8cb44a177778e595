/**
 * An inbound packet of the script as the scripted peer sends it: packetdrill's
 * map_inbound_packet (ports and addresses of the live connection, the local ISN
 * added to ack and SACK blocks, TS ecr mapped to the TS val the host really sent).
 */
import type { TcpOptionSpec } from '../packet/index.js';
import type { TcpOption, TcpPacket } from './ast.js';
import type { ScriptSocket } from './script-socket.js';

export interface InboundSegment {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** flag names, or 0 for a packet written with no flags (`-`) */
  flags: string[] | 0;
  win: number;
  options: TcpOptionSpec[];
  payload: Uint8Array;
}

/** What cannot be sent as written: the message, for `file:line: unsupported: …`. */
export function inboundUnsupported(p: TcpPacket): string | null {
  if (p.ip) return 'IP header fields (ECN marks, tos, ttl, flow label) on inbound packets: the scripted peer sends plain IP headers';
  if (p.flags.ae || p.flags.ace !== undefined) return "AccECN's AE bit on inbound packets: the scripted peer sends the 8 classic flag bits";
  if (p.urg !== undefined && p.urg !== 0) return 'a non-zero urgent pointer on inbound packets';
  return null;
}

const FLAG_NAMES: [keyof TcpPacket['flags'], string][] = [
  ['fin', 'FIN'],
  ['syn', 'SYN'],
  ['rst', 'RST'],
  ['psh', 'PSH'],
  ['ack', 'ACK'],
  ['urg', 'URG'],
  ['ece', 'ECE'],
  ['cwr', 'CWR'],
];

/** Throws an Error whose message is packetdrill's reason when the TS ecr cannot be mapped. */
export function inboundSegment(p: TcpPacket, sock: ScriptSocket, tsEcrScaled: boolean): InboundSegment {
  const syn = p.flags.syn;
  const flags = FLAG_NAMES.filter(([k]) => p.flags[k] === true).map(([, n]) => n);
  return {
    sport: p.ports?.src ?? sock.remotePort,
    dport: p.ports?.dst ?? sock.localPort,
    seq: sock.inboundSeq(p.seq.start, syn),
    ack: p.flags.ack ? sock.inboundAck(p.ack ?? 0, syn) : (p.ack ?? 0) >>> 0,
    // `-` (no flag at all, as packetdrill writes it) is the flag byte 0
    flags: flags.length ? flags : 0,
    win: p.win ?? 0,
    options: (p.options === 'any' ? [] : p.options).map((o) => optionSpec(o, sock, p.flags.ack, tsEcrScaled)),
    payload: new Uint8Array(p.seq.len),
  };
}

function optionSpec(o: TcpOption, sock: ScriptSocket, ack: boolean, tsEcrScaled: boolean): TcpOptionSpec {
  switch (o.name) {
    case 'nop':
      return { kind: 1 };
    case 'eol':
      return { kind: 0 };
    case 'mss':
      return { kind: 2, mss: o.value };
    case 'wscale':
      return { kind: 3, wscale: o.value };
    case 'sackOK':
      return { kind: 4 };
    case 'sack':
      return { kind: 5, sack: o.blocks.flatMap((b) => [sock.inboundSackEdge(b.left), sock.inboundSackEdge(b.right)]) };
    case 'timestamp': {
      const val = o.val === 'any' ? 0 : o.val;
      const ecr = o.ecr === 'any' ? 0 : o.ecr;
      return { kind: 8, tsval: val, tsecr: ack ? liveEcr(ecr, sock, tsEcrScaled) : ecr };
    }
    case 'fastopen': {
      const cookie = Buffer.from(o.cookie, 'hex');
      return o.experimental ? { kind: 254, raw: Buffer.concat([Buffer.from([0xf9, 0x89]), cookie]) } : { kind: 34, raw: cookie };
    }
    case 'md5':
      return { kind: 19, raw: Buffer.from(o.digest, 'hex') };
    case 'accecn':
      return { kind: 172, raw: Buffer.from(o.counters.flatMap((c) => [(c.value >> 16) & 255, (c.value >> 8) & 255, c.value & 255])) };
  }
}

function liveEcr(ecr: number, sock: ScriptSocket, scaled: boolean): number {
  const exact = sock.tsVals.get(ecr);
  if (exact !== undefined) return exact;
  if (scaled && sock.firstTs) return (ecr - sock.firstTs.script + sock.firstTs.live) >>> 0;
  throw new Error(`unable to infer live TS ecr for script TS ecr ${ecr};  no matching or preceding outbound TS val`);
}
