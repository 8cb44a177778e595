/**
 * A case's wire as a run-independent list. Every segment that says something about
 * the stack stays as it is (relative numbers, options without timestamp values):
 * SYN, FIN, RST, anything the wire or the analysis marked (dropped, held,
 * retransmission…), unusual flags, and the first ACK of a peer's SYN or FIN.
 * Data-only segments of one direction become one block (bytes, segment count,
 * largest segment), and the bare ACKs in between are left out: how many there are
 * and where they fall depends on timing, not on the stack.
 */
import type { TraceSegment } from '../trace/types.js';
import type { BundleSegment } from './bundle-schema.js';
import { optionsLayout, optionsText } from './options-text.js';

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
  const sackBase = hasAck ? (s.ack - s.rack) >>> 0 : null;
  const marks = [...(s.marks ?? []), ...(s.malformed ? ['malformed'] : [])];
  return {
    conn: s.conn,
    from: s.from,
    to: s.to,
    flags: s.flags,
    seq: s.rseq,
    ...(hasAck ? { ack: s.rack } : {}),
    len: s.len,
    ...(flags.has('SYN') || s.win === 0 ? { win: s.win } : {}),
    ...(s.options.length ? { opts: optionsText(s.options, sackBase) } : {}),
    ...(marks.length ? { marks } : {}),
  };
}

export function normaliseSegments(segments: readonly TraceSegment[]): BundleSegment[] {
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

    const plain = flags.has('ACK') && [...flags].every((f) => PLAIN_FLAGS.has(f)) && !s.marks?.length && !s.malformed;
    if (!plain || (s.len === 0 && acksControl)) {
      closeBlocks(s.conn);
      out.push(controlSegment(s, flags));
      continue;
    }
    if (s.len === 0) continue; // a bare ACK: timing, not behaviour

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
