/** Packets written the way packetdrill prints them: `S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>`. */
import type { TraceOption, TraceSegment } from '../trace/types.js';
import type { TcpOption, TcpPacket } from './ast.js';
import type { ScriptSocket } from './script-socket.js';

function scriptOption(o: TcpOption): string {
  switch (o.name) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.name;
    case 'mss':
    case 'wscale':
      return `${o.name} ${o.value}`;
    case 'sack':
      return `sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`;
    case 'timestamp':
      return `TS val ${o.val === 'any' ? '...' : o.val} ecr ${o.ecr === 'any' ? '...' : o.ecr}`;
    case 'fastopen':
      return `${o.experimental ? 'FOEXP' : 'FO'}${o.cookie ? ` ${o.cookie}` : ''}`;
    case 'md5':
      return `md5 ${o.digest}`;
    case 'accecn':
      return `ECN ${o.counters.map((c) => `${c.name} ${c.value}`).join(' ')}`;
  }
}

/** The script's packet as written (its flags, numbers and options). */
export function scriptPacketText(p: TcpPacket): string {
  let s = `${p.flags.text} ${p.seq.start}:${p.seq.end}(${p.seq.len})`;
  if (p.ack !== undefined) s += ` ack ${p.ack}`;
  if (p.win !== undefined) s += ` win ${p.win}`;
  if (p.urg !== undefined) s += ` urg ${p.urg}`;
  if (p.options === 'any') s += ' <...>';
  else if (p.options.length) s += ` <${p.options.map(scriptOption).join(',')}>`;
  return s;
}

const FLAG_LETTERS: [string, string][] = [
  ['FIN', 'F'],
  ['SYN', 'S'],
  ['RST', 'R'],
  ['PSH', 'P'],
  ['ACK', '.'],
  ['URG', 'U'],
  ['ECE', 'E'],
  ['CWR', 'W'],
];

/** "SYN ACK" → "S." in packetdrill's order. */
export function flagLetters(names: string): string {
  const set = new Set(names.split(' '));
  const s = FLAG_LETTERS.filter(([n]) => set.has(n))
    .map(([, l]) => l)
    .join('');
  return s || '-';
}

function liveOption(o: TraceOption, sock: ScriptSocket | null): string {
  switch (o.name) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.name;
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.wscale}`;
    case 'sack': {
      const edges = (o.sack ?? []).map((e) => (sock ? sock.outboundSackEdge(e) : e));
      const blocks: string[] = [];
      for (let i = 0; i + 1 < edges.length; i += 2) blocks.push(`${edges[i]}:${edges[i + 1]}`);
      return `sack ${blocks.join(' ')}`;
    }
    case 'ts':
      return `TS val ${sock ? sock.scriptTsVal(o.tsval ?? 0) : o.tsval} ecr ${o.tsecr}`;
    default:
      return `${o.name}${o.raw ? ` ${o.raw}` : ''} (kind ${o.kind}, length ${o.length})`;
  }
}

/** A segment the host sent, in the script's numbers when its socket is known. */
export function actualPacketText(s: TraceSegment, sock: ScriptSocket | null): string {
  const syn = s.flags.split(' ').includes('SYN');
  const ackFlag = s.flags.split(' ').includes('ACK');
  const seq = sock ? sock.outboundSeq(s.seq, syn) : s.seq;
  let text = `${flagLetters(s.flags)} ${seq}:${(seq + s.len) >>> 0}(${s.len})`;
  if (ackFlag) text += ` ack ${sock ? sock.outboundAck(s.ack, syn) : s.ack}`;
  text += ` win ${s.win}`;
  if (s.options.length) text += ` <${s.options.map((o) => liveOption(o, sock)).join(',')}>`;
  return text;
}
