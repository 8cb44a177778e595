/**
 * Text shared by the ladder renderers: segment labels, state labels, times,
 * flag classification and model validation. Both renderers say the same thing;
 * only the drawing differs.
 */
import type { Ladder, LadderSegment, LadderState, SegmentMark } from './model.js';

/**
 * Seconds with millisecond precision, e.g. "0.000", "60.125": t.toFixed(3).
 *
 * A ladder of a whole capture formats a million times and toFixed is slow, so the
 * common case is done by hand. toFixed rounds the exact value t·1000 to the nearest
 * integer, ties up. For 0 ≤ t < 2^31 s the computed product is that value correctly
 * rounded to a double, and every k + .5 there is itself a double, so rounding
 * cannot carry the product across one: its fraction is below .5 exactly when the
 * exact fraction is, and above exactly when that is. Only a computed fraction of
 * exactly .5 is undecided; fractions within 0.001 of .5 go to toFixed, as do
 * negative, huge and non-finite times.
 */
export function formatTime(t: number): string {
  if (!(t >= 0 && t < 2147483648)) return t.toFixed(3);
  const scaled = t * 1000;
  const whole = Math.floor(scaled);
  const frac = scaled - whole;
  if (frac > 0.499 && frac < 0.501) return t.toFixed(3);
  const ms = frac < 0.5 ? whole : whole + 1;
  const s = Math.floor(ms / 1000);
  const r = ms - s * 1000;
  return s + (r < 10 ? '.00' : r < 100 ? '.0' : '.') + r;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters (newlines, tabs, ESC…) would break both layouts and XML. */
export function sanitize(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, ' ') : text;
}

/** Terminal width in cells: one per code point (✕ and box drawing are narrow). */
export function cellWidth(text: string): number {
  // a surrogate pair is one code point; a lone surrogate counts as one on its own
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export type FlagKind = 'rst' | 'syn' | 'fin' | 'other';

function classifyFlags(flags: string): FlagKind {
  const tokens = new Set(flags.toUpperCase().split(/[^A-Z]+/));
  if (tokens.has('RST')) return 'rst';
  if (tokens.has('SYN')) return 'syn';
  if (tokens.has('FIN')) return 'fin';
  return 'other';
}

/** flags text → kind; a capture has a handful of distinct flag texts */
const flagKinds = new Map<string, FlagKind>();

/** The flag that decides a segment's colour: RST over SYN over FIN. */
export function flagKind(flags: string): FlagKind {
  let kind = flagKinds.get(flags);
  if (kind === undefined) {
    kind = classifyFlags(flags);
    if (flagKinds.size >= 1024) flagKinds.clear();
    flagKinds.set(flags, kind);
  }
  return kind;
}

export function hasMark(seg: LadderSegment, mark: SegmentMark): boolean {
  return seg.marks?.includes(mark) ?? false;
}

/** Connection numbers only help when the ladder shows more than one connection. */
export function showsConnections(ladder: Ladder): boolean {
  let first: number | undefined;
  for (const row of ladder.rows) {
    if (row.kind !== 'segment' || row.conn === undefined) continue;
    if (first === undefined) first = row.conn;
    // SameValueZero, as a Set counts them: NaN is one connection number
    else if (row.conn !== first && !(row.conn !== row.conn && first !== first)) return true;
  }
  return false;
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
  return measuredSegmentLabel(seg, showConn, { width: 0 });
}

/**
 * segmentLabel, with its cellWidth left in `cells.width`. The text renderer labels
 * every segment of a capture, so the label is sanitized and measured piece by piece
 * as it is built (numbers need neither), not scanned again afterwards. The pieces
 * are joined by ASCII, so no surrogate pair straddles two of them.
 */
export function measuredSegmentLabel(seg: LadderSegment, showConn: boolean, cells: { width: number }): string {
  cells.width = 0; // less the surrogate pairs seen so far; the label's length is added at the end
  let label = showConn && seg.conn !== undefined ? `#${numeric(seg.conn, cells)} ` : '';
  const flags = seg.flags.trim();
  if (flags !== '') label += `${clean(flags, cells)} `;
  label += `seq=${numeric(seg.seq, cells)}`;
  if (seg.ack !== null) label += ` ack=${numeric(seg.ack, cells)}`;
  if (seg.len !== 0) label += ` len=${numeric(seg.len, cells)}`;
  if (seg.win !== undefined) label += ` win=${numeric(seg.win, cells)}`;
  if (seg.options !== undefined && seg.options !== '') label += ` <${clean(seg.options, cells)}>`;
  if (seg.marks !== undefined || seg.note !== undefined) {
    for (const tag of markTags(seg)) label += ` ${clean(tag, cells)}`;
  }
  if (seg.line !== undefined) label += ` (line ${numeric(seg.line, cells)})`;
  cells.width += label.length;
  return label;
}

/** sanitize(text), taking its surrogate pairs off cells.width. */
function clean(text: string, cells: { width: number }): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff)) {
      const s = sanitize(text);
      cells.width -= s.length - cellWidth(s);
      return s;
    }
  }
  return text;
}

/** A number as text (digits, sign, point, e: nothing to clean); anything else as clean() has it. */
function numeric(value: number, cells: { width: number }): string {
  return typeof value === 'number' ? String(value) : clean(`${value as unknown as string}`, cells);
}

/** e.g. "ESTABLISHED", or "listener :8080 LISTEN" when the socket is named; "(sampled)" when seen by sampling. */
export function stateLabel(row: LadderState): string {
  const text = row.socket !== undefined && row.socket !== '' ? `${row.socket} ${row.state}` : row.state;
  return sanitize(row.source === 'sampled' ? `${text} (sampled)` : text);
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
  const n = ladder.columns.length;
  // an integer in 0..n-1 (n is small, so `| 0` keeps every such index, -0 included)
  const ok = (index: number): boolean => index >= 0 && index < n && (index | 0) === index;
  const rows = ladder.rows;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.kind === 'segment') {
      if (ok(row.from) && ok(row.to) && row.from !== row.to) continue;
      assertColumn(ladder, row.from, `row ${i} (segment from)`);
      assertColumn(ladder, row.to, `row ${i} (segment to)`);
      throw new RangeError(`row ${i}: segment from and to are both column ${row.from}`);
    } else if (row.column !== null && !ok(row.column)) {
      assertColumn(ladder, row.column, `row ${i} (${row.kind})`);
    }
  }
}
