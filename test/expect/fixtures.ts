/** Observed segments as the wire reports them, for the matcher tests. Numbers as a real Linux capture shows them. */
import type { TraceOption, TraceSegment } from '../../harness/trace/types.js';

const ISN: Record<string, number> = { client: 1_000_000, server: 3_000_000_000 };
const ADDR: Record<string, string> = { client: '198.18.7.1', server: '198.18.7.2' };
const PORT: Record<string, number> = { client: 40000, server: 8080 };

export const SYN_OPTIONS: TraceOption[] = [
  { kind: 2, name: 'mss', length: 4, mss: 1460 },
  { kind: 4, name: 'sackOK', length: 2 },
  { kind: 8, name: 'ts', length: 10, tsval: 1, tsecr: 0 },
  { kind: 1, name: 'nop', length: 1 },
  { kind: 3, name: 'wscale', length: 3, wscale: 7 },
];
export const TS_OPTIONS: TraceOption[] = [
  { kind: 1, name: 'nop', length: 1 },
  { kind: 1, name: 'nop', length: 1 },
  { kind: 8, name: 'ts', length: 10, tsval: 2, tsecr: 1 },
];

let frame = 0;

export function segment(from: string, to: string, flags: string, rseq: number, rack: number, more: Partial<TraceSegment> = {}): TraceSegment {
  frame++;
  return {
    n: frame,
    t: frame / 1000,
    from,
    to,
    src: ADDR[from] ?? from,
    sport: PORT[from] ?? 1,
    dst: ADDR[to] ?? to,
    dport: PORT[to] ?? 2,
    seq: ((ISN[from] ?? 0) + rseq) >>> 0,
    ack: flags.includes('ACK') ? ((ISN[to] ?? 0) + rack) >>> 0 : 0,
    rseq,
    rack: flags.includes('ACK') ? rack : 0,
    flags,
    win: 502,
    len: 0,
    options: TS_OPTIONS,
    conn: 1,
    ...more,
  };
}

/** Handshake, 100 bytes from the client, active close by the client (7 + 2 segments). */
export function activeClose(): TraceSegment[] {
  frame = 0;
  return [
    segment('client', 'server', 'SYN', 0, 0, { win: 64240, options: SYN_OPTIONS }),
    segment('server', 'client', 'SYN ACK', 0, 1, { win: 65160, options: SYN_OPTIONS }),
    segment('client', 'server', 'ACK', 1, 1),
    segment('client', 'server', 'PSH ACK', 1, 1, { len: 100 }),
    segment('server', 'client', 'ACK', 1, 101),
    segment('client', 'server', 'FIN ACK', 101, 1),
    segment('server', 'client', 'ACK', 1, 102),
    segment('server', 'client', 'FIN ACK', 1, 102),
    segment('client', 'server', 'ACK', 102, 2),
  ];
}
