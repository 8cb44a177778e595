/**
 * A case's wire as a run-independent list. What the stack decides stays, segment by
 * segment, with relative numbers and options (timestamp values and SACK blocks left
 * out): SYN, FIN, RST, unusual flags, segments the wire or the analysis marked
 * (dropped, held, out-of-order, keep-alive…), retransmissions by the retransmission
 * timer, the first ACK of a peer's SYN or FIN, and ACKs that close the window.
 *
 * What timing decides goes:
 *  - bare ACKs of data: how many and where (delayed ACKs, window updates, duplicates);
 *  - a bare ACK that the sender's next segment acknowledges again (or beyond): whether
 *    the delayed-ACK timer or the application went first, or what arrived meanwhile;
 *  - quick retransmissions (probes, fast retransmits: see retransmissions.ts);
 *  - whether a FIN rides on the last data segment (a FIN with data becomes the data,
 *    then the FIN);
 *  - how a direction's data was cut into segments: consecutive data-only segments
 *    become one block (bytes and the largest segment);
 *  - which of two mirror-image segments sent at the same moment the capture saw first
 *    (settleMirrorPairs).
 */
import type { CaseTrace, TraceSegment } from '../trace/types.js';
import type { BundleSegment } from './bundle-schema.js';
import { optionsLayout, optionsText } from './options-text.js';
import { retransmissionGaps, TIMER_RETRANSMISSION_MS } from './retransmissions.js';

const PLAIN_FLAGS = new Set(['ACK', 'PSH']);

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

/** One entry of the list being built: the segment or block, and what ordering it needs. */
interface Item {
  segment: BundleSegment;
  /** the ack field of the (first) segment, null without the ACK flag */
  ack: number | null;
  /** a bare ACK without marks: may be left out when the sender's next segment repeats it */
  bare: boolean;
  /** data blocks being filled */
  block?: { flags: Set<string>; layouts: Set<string> };
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
  const dataFlags = s.flags
    .split(/\s+/)
    .filter((f) => f && f !== 'FIN')
    .join(' ');
  return [
    { ...s, flags: dataFlags },
    { ...s, flags: withoutPsh(s.flags), seq: (s.seq + s.len) >>> 0, rseq: s.rseq + s.len, len: 0 },
  ];
}

/** Segments kept, FINs split off their data, blocks built: in capture order. */
function classify(trace: readonly TraceSegment[], gaps: Map<number, number>): Item[] {
  const segments: TraceSegment[] = [];
  trace.forEach((s, i) => {
    const gap = gaps.get(i);
    if (gap !== undefined && gap < TIMER_RETRANSMISSION_MS) return; // a probe or fast retransmit: timing
    segments.push(...(splitFin(s, flagSet(s.flags)) ?? [s]));
  });

  const items: Item[] = [];
  /** per connection and sender: ack values that would acknowledge the peer's SYN or FIN */
  const pendingAcks = new Map<string, number[]>();
  /** per connection and sender: the data block being filled */
  const open = new Map<string, Item>();
  const closeBlocks = (conn: number) => {
    for (const [key, item] of open) if (item.segment.conn === conn) open.delete(key);
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
    if (bare && !telling) continue; // timing, not behaviour (dropped or not)
    if (!plainFlags || telling || marks.length) {
      closeBlocks(s.conn);
      items.push({ segment: controlSegment(s, flags), ack: flags.has('ACK') ? s.rack : null, bare: telling && !marks.length && s.win !== 0 });
      continue;
    }

    const block = open.get(side);
    if (block) {
      block.segment.len += s.len;
      block.segment.data!.maxLen = Math.max(block.segment.data!.maxLen, s.len);
      for (const f of [...block.block!.flags]) if (!flags.has(f)) block.block!.flags.delete(f);
      block.block!.layouts.add(optionsLayout(s.options));
    } else {
      const item: Item = {
        segment: { conn: s.conn, from: s.from, to: s.to, flags: '', seq: s.rseq, len: s.len, data: { maxLen: s.len } },
        ack: s.rack,
        bare: false,
        block: { flags, layouts: new Set([optionsLayout(s.options)]) },
      };
      open.set(side, item);
      items.push(item);
    }
  }
  for (const item of items) if (item.block) item.segment = blockSegment(item);
  return items;
}

function blockSegment(item: Item): BundleSegment {
  const s = item.segment;
  const layouts = [...item.block!.layouts].filter(Boolean).sort();
  return {
    conn: s.conn,
    from: s.from,
    to: s.to,
    flags: withoutPsh([...item.block!.flags].join(' ')),
    seq: s.seq,
    len: s.len,
    ...(layouts.length ? { opts: layouts.join(' | ') } : {}),
    data: { maxLen: s.data!.maxLen },
  };
}

/** Bare ACKs whose acknowledgement the same sender's next segment carries too (the same ack or a later one). */
function withoutRepeatedAcks(items: Item[]): Item[] {
  const next = new Map<Item, Item>();
  const last = new Map<string, Item>();
  for (const item of items) {
    const key = `${item.segment.conn}\u0000${item.segment.from}`;
    const prev = last.get(key);
    if (prev) next.set(prev, item);
    last.set(key, item);
  }
  return items.filter((item) => {
    const after = next.get(item);
    return !(item.bare && after && after.ack !== null && item.ack !== null && after.ack >= item.ack);
  });
}

/** Sequence space a segment or block ends at: seq + len, +1 for a SYN, +1 for a FIN. */
function end(s: BundleSegment): number {
  return s.seq + s.len + (/\bSYN\b/.test(s.flags) ? 1 : 0) + (/\bFIN\b/.test(s.flags) ? 1 : 0);
}

/**
 * Two ends that send mirror-image segments at the same moment — the SYN-ACKs of a
 * simultaneous open, the ACKs of a simultaneous close — are captured in either
 * order. Such a pair (adjacent, from different ends, same flags and marks, both data
 * or neither, the second acknowledging nothing the first sent) is put
 * in host order. Everything else keeps the capture's order: seq and ack alone do
 * not tell what a segment answers (a window probe, a window update), the capture
 * does.
 */
function settleMirrorPairs(items: Item[], hostOrder: readonly string[]): Item[] {
  const host = (name: string) => {
    const i = hostOrder.indexOf(name);
    return i < 0 ? hostOrder.length : i;
  };
  /** per item: the furthest any earlier segment of the same sender reached */
  const reachedBefore = new Map<Item, number>();
  const reached = new Map<string, number>();
  for (const item of items) {
    const key = `${item.segment.conn}\u0000${item.segment.from}`;
    reachedBefore.set(item, reached.get(key) ?? -1);
    reached.set(key, Math.max(reached.get(key) ?? -1, end(item.segment)));
  }
  const out = [...items];
  for (let i = 0; i + 1 < out.length; i++) {
    const [x, y] = [out[i], out[i + 1]];
    const mirror =
      x.segment.conn === y.segment.conn &&
      x.segment.from !== y.segment.from &&
      (x.segment.marks ?? []).join() === (y.segment.marks ?? []).join() &&
      withoutPsh(x.segment.flags) === withoutPsh(y.segment.flags) &&
      !x.segment.data === !y.segment.data &&
      (y.ack === null || y.ack <= reachedBefore.get(x)!);
    if (mirror && host(y.segment.from) < host(x.segment.from)) {
      out[i] = y;
      out[i + 1] = x;
      i++;
    }
  }
  return out;
}

export interface NormaliseOptions {
  /** tcp_retransmit_skb events, to time retransmissions with the kernel's clock */
  kernelEvents?: CaseTrace['kernelEvents'];
  /** host names in the case's order: mirror-image segments sent at the same moment go in this order */
  hostOrder?: readonly string[];
  /** keep the capture's order for them too (to see what the ordering changed) */
  captureOrder?: boolean;
}

export function normaliseSegments(segments: readonly TraceSegment[], options: NormaliseOptions = {}): BundleSegment[] {
  const gaps = retransmissionGaps({ segments: [...segments], kernelEvents: options.kernelEvents ?? [] });
  const items = withoutRepeatedAcks(classify(segments, gaps));
  return (options.captureOrder ? items : settleMirrorPairs(items, options.hostOrder ?? [])).map((item) => item.segment);
}
