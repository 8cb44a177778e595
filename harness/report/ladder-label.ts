/**
 * Text shared by the ladder renderers: segment labels, state labels, times,
 * flag classification and model validation. Both renderers say the same thing;
 * only the drawing differs.
 */
import type { Ladder, LadderSegment, LadderState, SegmentMark } from './model.js';

/** Seconds with millisecond precision, e.g. "0.000", "60.125". */
export function formatTime(t: number): string {
  return t.toFixed(3);
}

/** Control characters (newlines, tabs, ESC…) would break both layouts and XML. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** Terminal width in cells: one per code point (✕ and box drawing are narrow). */
export function cellWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export type FlagKind = 'rst' | 'syn' | 'fin' | 'other';

/** The flag that decides a segment's colour: RST over SYN over FIN. */
export function flagKind(flags: string): FlagKind {
  const tokens = new Set(flags.toUpperCase().split(/[^A-Z]+/));
  if (tokens.has('RST')) return 'rst';
  if (tokens.has('SYN')) return 'syn';
  if (tokens.has('FIN')) return 'fin';
  return 'other';
}

export function hasMark(seg: LadderSegment, mark: SegmentMark): boolean {
  return seg.marks?.includes(mark) ?? false;
}

/** Connection numbers only help when the ladder shows more than one connection. */
export function showsConnections(ladder: Ladder): boolean {
  const conns = new Set<number>();
  for (const row of ladder.rows) {
    if (row.kind === 'segment' && row.conn !== undefined) conns.add(row.conn);
  }
  return conns.size > 1;
}

function markTags(seg: LadderSegment): string[] {
  const marks = seg.marks ?? [];
  // 'dropped' is drawn (✕); a note about a hold or delay says more than the bare mark.
  const shown = marks.filter(
    (m) => m !== 'dropped' && !(seg.note !== undefined && (m === 'held' || m === 'delayed')),
  );
  const tags = shown.map((m) => `[${m}]`);
  if (seg.note !== undefined && seg.note !== '') tags.push(`[${seg.note}]`);
  return tags;
}

/** e.g. "SYN ACK seq=0 ack=1 win=65160 <mss 1460,sackOK> [retransmission]" */
export function segmentLabel(seg: LadderSegment, showConn = false): string {
  const parts: string[] = [];
  if (showConn && seg.conn !== undefined) parts.push(`#${seg.conn}`);
  if (seg.flags.trim() !== '') parts.push(seg.flags.trim());
  parts.push(`seq=${seg.seq}`);
  if (seg.ack !== null) parts.push(`ack=${seg.ack}`);
  if (seg.len !== 0) parts.push(`len=${seg.len}`);
  if (seg.win !== undefined) parts.push(`win=${seg.win}`);
  if (seg.options !== undefined && seg.options !== '') parts.push(`<${seg.options}>`);
  parts.push(...markTags(seg));
  return sanitize(parts.join(' '));
}

/** e.g. "ESTABLISHED", or "listener :8080 LISTEN" when the socket is named. */
export function stateLabel(row: LadderState): string {
  const text = row.socket !== undefined && row.socket !== '' ? `${row.socket} ${row.state}` : row.state;
  return sanitize(text);
}

/** Every fact about a segment, one per line (SVG tooltip). */
export function segmentDetails(seg: LadderSegment, ladder: Ladder): string {
  const from = ladder.columns[seg.from]?.name ?? `#${seg.from}`;
  const to = ladder.columns[seg.to]?.name ?? `#${seg.to}`;
  const lines = [
    `${from} → ${to}  t=${formatTime(seg.t)} s` + (seg.frame !== undefined ? `  frame ${seg.frame}` : ''),
    `flags ${seg.flags || '(none)'}`,
    `seq=${seg.seq} ack=${seg.ack ?? '-'} len=${seg.len}` + (seg.win !== undefined ? ` win=${seg.win}` : ''),
  ];
  if (seg.options !== undefined && seg.options !== '') lines.push(`options ${seg.options}`);
  if (seg.marks !== undefined && seg.marks.length > 0) lines.push(`marks ${seg.marks.join(', ')}`);
  if (seg.note !== undefined && seg.note !== '') lines.push(`note ${seg.note}`);
  if (seg.conn !== undefined) lines.push(`connection ${seg.conn}`);
  return lines.map(sanitize).join('\n');
}

function assertColumn(ladder: Ladder, index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= ladder.columns.length) {
    throw new RangeError(`${what}: column ${index} does not exist (ladder has ${ladder.columns.length})`);
  }
}

/** Throws RangeError for a ladder no renderer can draw. */
export function validateLadder(ladder: Ladder): void {
  if (ladder.columns.length < 2) {
    throw new RangeError(`a ladder needs at least 2 columns, got ${ladder.columns.length}`);
  }
  ladder.rows.forEach((row, i) => {
    if (row.kind === 'segment') {
      assertColumn(ladder, row.from, `row ${i} (segment from)`);
      assertColumn(ladder, row.to, `row ${i} (segment to)`);
      if (row.from === row.to) throw new RangeError(`row ${i}: segment from and to are both column ${row.from}`);
    } else if (row.column !== null) {
      assertColumn(ladder, row.column, `row ${i} (${row.kind})`);
    }
  });
}
