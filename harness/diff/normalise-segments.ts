/**
 * A case's wire as a run-independent list. What the stack decides stays, segment by
 * segment, with relative numbers and options (timestamp values and SACK blocks left
 * out): SYN, FIN, RST, unusual flags, segments the wire or the analysis marked
 * (dropped, held, out-of-order, keep-alive…), retransmissions by the retransmission
 * timer, the first ACK of a peer's SYN or FIN, and ACKs that close the window.
 *
 * What timing decides goes: bare ACKs (how many, where — delayed ACKs, window
 * updates, duplicate ACKs), retransmissions sooner than the minimum RTO (see
 * retransmissions.ts), whether a FIN rides on the last data segment (a FIN with
 * data becomes the data, then the FIN). Data-only segments of one direction become
 * one block: bytes, segment count, largest segment.
 */
import type { TraceSegment } from '../trace/types.js';
import type { BundleSegment } from './bundle-schema.js';
import { optionsLayout, optionsText } from './options-text.js';
import { retransmissionGaps, TIMER_RETRANSMISSION_MS } from './retransmissions.js';

const PLAIN_FLAGS = new Set(['ACK', 'PSH']);

interface Block {
  /** where the block stands in the output */
  index: number;
  first: TraceSegment;
  len: number;
  segments: number;
  maxLen: number;
  flags: Set<string>;
  layouts: Set<string>;
}

function flagSet(flags: string): Set<string> {
  return new Set(flags.split(/\s+/).filter(Boolean));
}

/** Flags in the trace's order without PSH: "FIN PSH ACK" → "FIN ACK". */
export function withoutPsh(flags: string): string {
  return flags
    .split(/\s+/)
    .filter((f) => f && f !== 'PSH')
    .join(' ');
}

function controlSegment(s: TraceSegment, flags: Set<string>): BundleSegment {
  const hasAck = flags.has('ACK');
  const marks = [...(s.marks ?? []), ...(s.malformed ? ['malformed'] : [])];
  const opts = optionsText(s.options);
  return {
    conn: s.conn,
    from: s.from,
    to: s.to,
    flags: s.flags,
    seq: s.rseq,
    ...(hasAck ? { ack: s.rack } : {}),
    len: s.len,
    ...(flags.has('SYN') || s.win === 0 ? { win: s.win } : {}),
    ...(opts ? { opts } : {}),
    ...(marks.length ? { marks } : {}),
  };
}

/** A FIN (no other control flag, nothing marked) that carries data: the data, then the FIN alone. */
function splitFin(s: TraceSegment, flags: Set<string>): [TraceSegment, TraceSegment] | null {
  if (!flags.has('FIN') || flags.has('SYN') || flags.has('RST') || s.len === 0 || s.marks?.length || s.malformed) return null;
  const dataFlags = s.flags.split(/\s+/).filter((f) => f && f !== 'FIN').join(' ');
  return [
    { ...s, flags: dataFlags },
    { ...s, flags: withoutPsh(s.flags), seq: (s.seq + s.len) >>> 0, rseq: s.rseq + s.len, len: 0 },
  ];
}

export function normaliseSegments(trace: readonly TraceSegment[]): BundleSegment[] {
  const gaps = retransmissionGaps(trace);
  const segments: TraceSegment[] = [];
  trace.forEach((s, i) => {
    const gap = gaps.get(i);
    if (gap !== undefined && gap < TIMER_RETRANSMISSION_MS) return; // a probe or fast retransmit: timing
    segments.push(...(splitFin(s, flagSet(s.flags)) ?? [s]));
  });
  const out: BundleSegment[] = [];
  /** per connection and sender: ack values that would acknowledge the peer's SYN or FIN */
  const pendingAcks = new Map<string, number[]>();
  /** per connection and sender: the data block being filled */
  const open = new Map<string, Block>();
  const closeBlocks = (conn: number) => {
    for (const [key, block] of open) {
      if (block.first.conn !== conn) continue;
      out[block.index] = blockSegment(block);
      open.delete(key);
    }
  };

  for (const s of segments) {
    const flags = flagSet(s.flags);
    const side = `${s.conn}\u0000${s.from}`;

    let acksControl = false;
    const pending = pendingAcks.get(side);
    if (pending && flags.has('ACK')) {
      const left = pending.filter((v) => v > s.rack);
      acksControl = left.length < pending.length;
      pendingAcks.set(side, left);
    }
    const peer = `${s.conn}\u0000${s.to}`;
    if (flags.has('SYN')) pendingAcks.set(peer, [...(pendingAcks.get(peer) ?? []), s.rseq + 1]);
    if (flags.has('FIN')) pendingAcks.set(peer, [...(pendingAcks.get(peer) ?? []), s.rseq + s.len + (flags.has('SYN') ? 2 : 1)]);

    const marks = s.marks ?? [];
    const plainFlags = flags.has('ACK') && [...flags].every((f) => PLAIN_FLAGS.has(f)) && !s.malformed;
    const bare = plainFlags && s.len === 0;
    // a bare ACK says something when it completes a handshake or close, closes the window or probes it
    const telling = bare && (acksControl || s.win === 0 || marks.includes('keep-alive'));
    if (bare && !telling) continue; // timing, not behaviour (whatever the wire did to it)
    if (!plainFlags || telling || marks.length) {
      closeBlocks(s.conn);
      out.push(controlSegment(s, flags));
      continue;
    }

    const block = open.get(side);
    if (block) {
      block.len += s.len;
      block.segments += 1;
      block.maxLen = Math.max(block.maxLen, s.len);
      for (const f of [...block.flags]) if (!flags.has(f)) block.flags.delete(f);
      block.layouts.add(optionsLayout(s.options));
    } else {
      const index = out.length;
      open.set(side, { index, first: s, len: s.len, segments: 1, maxLen: s.len, flags, layouts: new Set([optionsLayout(s.options)]) });
      out.push(blockSegment(open.get(side)!));
    }
  }
  for (const block of open.values()) out[block.index] = blockSegment(block);
  return out;
}

function blockSegment(block: Block): BundleSegment {
  const layouts = [...block.layouts].filter(Boolean).sort();
  return {
    conn: block.first.conn,
    from: block.first.from,
    to: block.first.to,
    flags: withoutPsh([...block.flags].join(' ')),
    seq: block.first.rseq,
    len: block.len,
    ...(layouts.length ? { opts: layouts.join(' | ') } : {}),
    data: { segments: block.segments, maxLen: block.maxLen },
  };
}
