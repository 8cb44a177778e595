/** The ladder of one case run, built from its trace. */
import { formatOptions, type TcpOption } from '../packet/index.js';
import type { CaseTrace, TraceOption, TraceSegment } from '../trace/types.js';
import type { Ladder, LadderRow, SegmentMark } from './model.js';

const QUIET_CALLS = new Set(['write', 'pauseReading']);

function options(o: TraceOption[]): TcpOption[] {
  return o.map(({ raw, ...rest }) => (raw ? { ...rest, raw: Buffer.from(raw, 'hex') } : rest));
}

/** Where a segment's SACK blocks count from: the absolute number its relative ack counts from. */
export function sackBaseOf(s: TraceSegment): number | undefined {
  return s.flags.includes('ACK') ? (s.ack - s.rack) >>> 0 : undefined;
}

export function ladderFromTrace(trace: CaseTrace): Ladder {
  const column = new Map(trace.hosts.map((h, i) => [h.name, i]));
  const family = trace.family;
  const rows: LadderRow[] = [];
  const conns = new Set(trace.segments.map((s) => s.conn));

  for (const s of trace.segments) {
    const from = column.get(s.from);
    const to = column.get(s.to);
    if (from === undefined || to === undefined) continue;
    rows.push({
      kind: 'segment',
      t: s.t,
      from,
      to,
      flags: s.flags,
      seq: s.rseq,
      ack: s.flags.includes('ACK') ? s.rack : null,
      len: s.len,
      win: s.win,
      options: s.options.length ? formatOptions(options(s.options), { tsValues: false, sackBase: sackBaseOf(s) }) : undefined,
      marks: s.marks
        ?.map((m) => (m === 'cut' ? 'dropped' : m))
        .filter((m): m is SegmentMark => ['dropped', 'held', 'delayed', 'duplicated', 'retransmission', 'out-of-order', 'injected'].includes(m)),
      note: s.marks?.includes('cut') ? 'link cut' : s.heldMs !== undefined ? `${s.marks?.includes('delayed') ? 'delayed' : 'held'} ${Math.round(s.heldMs)} ms` : undefined,
      frame: s.n,
      conn: conns.size > 1 ? s.conn : undefined,
      line: s.line,
    });
  }

  const socketsPerHost = new Map<string, number>();
  for (const sock of trace.sockets) if (sock.transitions.length) socketsPerHost.set(sock.host, (socketsPerHost.get(sock.host) ?? 0) + 1);
  for (const sock of trace.sockets) {
    const c = column.get(sock.host);
    if (c === undefined) continue;
    for (const tr of sock.transitions) {
      rows.push({
        kind: 'state',
        t: tr.t,
        column: c,
        socket: (socketsPerHost.get(sock.host) ?? 0) > 1 ? sock.label : undefined,
        state: tr.to,
        source: tr.source,
      });
    }
  }

  for (const call of trace.calls) {
    const c = column.get(call.host);
    if (c === undefined || QUIET_CALLS.has(call.call)) continue;
    if (call.call === 'read' && /^\d+ bytes?$/.test(call.result)) continue; // the data shows on the wire
    const args = call.args ? `(${call.args})` : '()';
    const line = call.line !== undefined ? ` (line ${call.line})` : '';
    rows.push({ kind: 'note', t: call.t, column: c, text: `${call.socket} ${call.call}${args} → ${call.result}${line}` });
  }

  rows.sort((a, b) => a.t - b.t || order(a) - order(b));
  return {
    title: `${trace.case} [${family}]`,
    columns: trace.hosts.map((h) => ({ name: h.name, address: family === 'ipv6' ? h.ipv6 : h.ipv4 })),
    rows,
  };
}

/** At equal times: the call, then the state it caused, then the segment. */
function order(r: LadderRow): number {
  return r.kind === 'note' ? 0 : r.kind === 'state' ? 1 : 2;
}
