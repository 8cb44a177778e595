/**
 * The ladder of a normalised case, for the side-by-side view: hosts as columns,
 * segments in order (a bundle has no times, so rows are numbered 0, 1, 2… where a
 * ladder shows seconds), then each socket's state sequence, then notes.
 */
import type { Ladder, LadderRow, SegmentMark } from '../report/index.js';
import type { BundleCase } from './bundle-schema.js';

const SEGMENT_MARKS = new Set<string>(['dropped', 'held', 'delayed', 'duplicated', 'retransmission', 'out-of-order', 'injected']);

export interface LadderHighlights {
  /** a note per segment index, e.g. "≠ opts", "only in A" */
  segments?: Map<number, string>;
  /** a note per socket label, shown after its states, e.g. "≠ states" */
  sockets?: Map<string, string>;
  /** extra lines at the end (call outcomes, timers that differ) */
  notes?: string[];
}

export function ladderFromBundleCase(c: BundleCase, title: string, highlights: LadderHighlights = {}): Ladder {
  const column = new Map(c.hosts.map((h, i) => [h.name, i]));
  const showConn = new Set(c.segments.map((s) => s.conn)).size > 1;
  const rows: LadderRow[] = [];
  c.segments.forEach((s, i) => {
    const from = column.get(s.from);
    const to = column.get(s.to);
    if (from === undefined || to === undefined || from === to) return;
    const notes = [...(s.data ? [`data, max ${s.data.maxLen}`] : []), ...(highlights.segments?.has(i) ? [highlights.segments.get(i)!] : [])];
    const marks = (s.marks ?? []).filter((m): m is SegmentMark => SEGMENT_MARKS.has(m));
    rows.push({
      kind: 'segment',
      t: rows.length,
      from,
      to,
      flags: s.flags || 'DATA',
      seq: s.seq,
      ack: s.ack ?? null,
      len: s.len,
      ...(s.win !== undefined ? { win: s.win } : {}),
      ...(s.opts ? { options: s.opts } : {}),
      ...(marks.length ? { marks } : {}),
      ...(notes.length ? { note: notes.join('; ') } : {}),
      ...(showConn ? { conn: s.conn } : {}),
    });
  });
  for (const sock of c.sockets) {
    const col = column.get(sock.host);
    if (col === undefined || !sock.states.length) continue;
    const mark = highlights.sockets?.get(sock.label);
    rows.push({ kind: 'state', t: rows.length, column: col, socket: sock.label, state: sock.states.join(' → ') + (mark ? `  (${mark})` : '') });
  }
  for (const text of highlights.notes ?? []) rows.push({ kind: 'note', t: rows.length, column: null, text });
  return {
    title,
    columns: c.hosts.map((h) => ({ name: h.name, ...(h.profile ? { address: `profile ${h.profile}` } : {}) })),
    rows,
  };
}
