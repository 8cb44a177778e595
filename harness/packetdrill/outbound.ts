/**
 * An outbound packet of the script against what the host put on the wire, field by
 * field in the order packetdrill's verify_outbound_live_packet checks them, with its
 * messages (`live packet field tcp_window: expected: 1024 (0x400) vs actual: …`).
 */
import type { TraceOption, TraceSegment } from '../trace/types.js';
import type { TcpOption, TcpPacket } from './ast.js';
import type { ScriptSocket } from './script-socket.js';

export interface OutboundChecks {
  /** µs per TS val tick; 0 leaves TS val unchecked (packetdrill's default) */
  tsTickUsecs: number;
  toleranceUsecs: number;
  /** how much later than its time by the script's arithmetic the packet went out: its TS val is expected that much further on */
  lateUs: number;
  /**
   * µs a TS val may be off beyond the tolerance: a TS val is stamped when the segment is
   * made, and a guest held back from the CPU afterwards puts it on the wire later, at
   * this packet and at the one the TS clock was learnt from (their heldUs summed)
   */
  tsHeldUs?: number;
}

const KIND: Readonly<Record<TcpOption['name'], number>> = {
  eol: 0,
  nop: 1,
  mss: 2,
  wscale: 3,
  sackOK: 4,
  sack: 5,
  timestamp: 8,
  md5: 19,
  fastopen: 34,
  accecn: 172,
};

function kindOf(o: TcpOption): number {
  return o.name === 'fastopen' && o.experimental ? 254 : KIND[o.name];
}

function field(name: string, expected: number, actual: number): string | null {
  if (expected === actual) return null;
  return `live packet field ${name}: expected: ${expected} (0x${expected.toString(16)}) vs actual: ${actual} (0x${actual.toString(16)})`;
}

function optionBytes(o: TraceOption | TcpOption): number {
  if ('kind' in o) return o.length;
  switch (o.name) {
    case 'nop':
    case 'eol':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'md5':
      return 18;
    case 'fastopen':
      return 2 + o.cookie.length / 2 + (o.experimental ? 2 : 0);
    case 'accecn':
      return 2 + 3 * o.counters.length;
  }
}

/** Learn from the host's packet what later inbound packets need: the TS val mapping. */
export function learnOutbound(p: TcpPacket, live: TraceSegment, sock: ScriptSocket, lateUs: number, heldUs = 0): void {
  if (p.options === 'any') return;
  const script = p.options.find((o) => o.name === 'timestamp');
  const actual = live.options.find((o) => o.name === 'ts');
  if (script && actual && script.name === 'timestamp' && script.val !== 'any' && actual.tsval !== undefined) sock.learnTs(script.val, actual.tsval, lateUs, heldUs);
}

/** The first difference between the script's packet and the host's, or null. `live` may be an aggregate of several segments. */
export function outboundMismatch(p: TcpPacket, live: TraceSegment, sock: ScriptSocket, checks: OutboundChecks): string | null {
  const flags = new Set(live.flags.split(' '));
  const syn = flags.has('SYN');
  const liveOptionBytes = live.options.reduce((n, o) => n + o.length, 0);
  const scriptOptionBytes = p.options === 'any' ? liveOptionBytes : p.options.reduce((n, o) => n + optionBytes(o), 0);
  const f = p.flags;
  return (
    field('tcp_data_offset', 5 + Math.ceil(scriptOptionBytes / 4), 5 + Math.ceil(liveOptionBytes / 4)) ??
    field('tcp_fin', +f.fin, +flags.has('FIN')) ??
    field('tcp_syn', +f.syn, +syn) ??
    field('tcp_rst', +f.rst, +flags.has('RST')) ??
    field('tcp_psh', +f.psh, +flags.has('PSH')) ??
    field('tcp_ack', +f.ack, +flags.has('ACK')) ??
    field('tcp_urg', +f.urg, +flags.has('URG')) ??
    field('tcp_ece', +f.ece, +flags.has('ECE')) ??
    field('tcp_cwr', +f.cwr, +flags.has('CWR')) ??
    field('tcp_seq', p.seq.start >>> 0, sock.outboundSeq(live.seq, syn)) ??
    field('tcp_ack_seq', (p.ack ?? 0) >>> 0, flags.has('ACK') ? sock.outboundAck(live.ack, syn) : live.ack) ??
    (p.win === undefined ? null : field('tcp_window', p.win, live.win)) ??
    (live.len === p.seq.len ? null : `live packet payload: expected ${p.seq.len} bytes vs actual ${live.len} bytes`) ??
    optionsMismatch(p, live, sock, checks)
  );
}

function optionsMismatch(p: TcpPacket, live: TraceSegment, sock: ScriptSocket, checks: OutboundChecks): string | null {
  if (p.options === 'any') return null;
  const script = p.options;
  const actual = live.options;
  for (let i = 0; i < Math.max(script.length, actual.length); i++) {
    const s = script[i];
    const a = actual[i];
    if (!s || !a || kindOf(s) !== a.kind) return 'bad outbound TCP options';
    const kind = a.kind;
    if (kind === 0 || kind === 1) continue;
    if (s.name === 'timestamp') {
      if (checks.tsTickUsecs && s.val !== 'any' && a.tsval !== undefined) {
        // the script's TS val assumes the packet left at its script time; count from when it did
        const shift = Math.round((checks.lateUs - (sock.firstTs?.lateUs ?? 0)) / checks.tsTickUsecs);
        const diff = Math.abs((sock.scriptTsVal(a.tsval) - (s.val + shift)) | 0);
        const held = checks.tsHeldUs ?? 0;
        if (diff * checks.tsTickUsecs > checks.toleranceUsecs + held) {
          return `bad outbound TCP timestamp value, tolerance ${checks.toleranceUsecs}${held > 0 ? ` (and ${held} µs its host waited for a CPU)` : ''}`;
        }
      }
      continue;
    }
    if (optionBytes(s) !== a.length) return `bad lengths for outbound TCP option ${kind}`;
    if (!sameValue(s, a, sock)) return `bad value outbound TCP option ${kind}`;
  }
  return null;
}

function sameValue(s: TcpOption, a: TraceOption, sock: ScriptSocket): boolean {
  switch (s.name) {
    case 'mss':
      return a.mss === s.value;
    case 'wscale':
      return a.wscale === s.value;
    case 'sackOK':
      return true;
    case 'sack': {
      const edges = (a.sack ?? []).map((e) => sock.outboundSackEdge(e));
      return s.blocks.every((b, i) => edges[2 * i] === b.left >>> 0 && edges[2 * i + 1] === b.right >>> 0);
    }
    case 'fastopen':
      return (a.raw ?? '').toLowerCase().endsWith(s.cookie.toLowerCase());
    case 'md5':
      return (a.raw ?? '').toLowerCase() === s.digest.toLowerCase();
    default:
      return false;
  }
}

/** Segments of one connection, aggregated as packetdrill does when a script packet carries more than one segment's data. */
export function aggregate(parts: TraceSegment[]): TraceSegment {
  if (parts.length === 1) return parts[0];
  const last = parts[parts.length - 1];
  return { ...parts[0], flags: mergeFlags(parts), len: parts.reduce((n, s) => n + s.len, 0), t: last.t, ack: last.ack, win: last.win };
}

function mergeFlags(parts: TraceSegment[]): string {
  const names = new Set(parts.flatMap((s) => s.flags.split(' ')));
  return ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'].filter((n) => names.has(n)).join(' ');
}
