/**
 * Ladder diagram for a monospace terminal: one vertical bar per host, one line per
 * row (segment arrow, state change, note), the time in the left margin.
 *
 *   0.000  SYN_SENT ├──── SYN seq=0 <mss 1460> ────>│
 *   0.001           │<──── SYN ACK seq=0 ack=1 ─────┤ SYN_RECV
 *
 * `tcpladder show` draws ladders of a million rows, so rows are not painted cell by
 * cell: one pass over the rows measures their texts and fixes the layout, the bar
 * line and each arrow shaft are built once per ladder, and each row is written left
 * to right as four strings (time, blanks and bars, the arrow or text, the rest of
 * the bar line). The layout makes every gap wide enough for what is drawn in it (see
 * measure), so a row's pieces never overlap, which is what lets a row be written in
 * one pass. The title and headings, a few lines per ladder, are still painted cell by
 * cell. Output is the same, character for character, as when every row was painted
 * (test/report/ladder-text-equivalence.test.ts).
 */
import type { Ladder, LadderColumn, LadderRow, LadderSegment } from './model.js';
import {
  cellWidth,
  flagKind,
  formatTime,
  hasMark,
  measuredSegmentLabel,
  sanitize,
  showsConnections,
  stateLabel,
  validateLadder,
  type FlagKind,
} from './ladder-label.js';

export interface LadderTextOptions {
  /** ANSI colours (RST red, SYN green, FIN yellow, dropped dim). Off unless asked for. */
  color?: boolean;
  /** target total width in columns; long labels widen the diagram beyond it */
  width?: number;
}

const DEFAULT_WIDTH = 100;
const MIN_GAP = 12;
/** shaft cells kept on each side of a label so the arrow stays visible */
const MIN_DASHES = 2;
/** blank cells between a dropped segment's ✕ and the receiver's bar */
const DROP_TAIL = 3;

const GLYPH = {
  bar: '│',
  cross: '┼',
  shaft: '─',
  teeRight: '├',
  teeLeft: '┤',
  headRight: '>',
  headLeft: '<',
  drop: '✕',
} as const;

const SGR = {
  title: '1',
  heading: '1',
  time: '2',
  state: '1;36',
  note: '2',
  dim: '2',
} as const;

const FLAG_SGR: Record<FlagKind, string | undefined> = {
  rst: '31',
  syn: '32',
  fin: '33',
  other: undefined,
};

const DROP_GAP = ' '.repeat(DROP_TAIL);

export function renderLadderText(ladder: Ladder, opts: LadderTextOptions = {}): string {
  let out = '';
  writeLadderText(ladder, opts, (line) => {
    out += line + '\n';
  });
  return out;
}

/**
 * renderLadderText, handed out line by line (without the newline). A caller that
 * writes a million rows encodes each line as it comes: one string of them all is a
 * rope of millions of pieces, and flattening it to write it out costs more than
 * drawing it.
 */
export function writeLadderText(ladder: Ladder, opts: LadderTextOptions, line: (text: string) => void): void {
  validateLadder(ladder);
  const color = opts.color === true;
  const measured = measure(ladder);
  const layout = computeLayout(ladder.columns, measured, opts.width ?? DEFAULT_WIDTH);
  if (ladder.title !== undefined && ladder.title !== '') line(titleLine(ladder.title).render(color));
  for (const heading of headingLines(ladder.columns, layout)) line(heading.render(color));
  const draw = new Drawing(layout, measured, color);
  line(draw.bars);
  const rows = ladder.rows;
  for (let i = 0; i < rows.length; i++) line(draw.row(rows[i]!, i));
  line(draw.bars);
}

// ── measuring the rows ──────────────────────────────────────────────────────

/** What layout and drawing need of the rows, worked out once per row. */
interface Measured {
  /** formatTime(row.t) of every row */
  times: string[];
  /** the text of every row: segment label, state label or sanitized note */
  texts: string[];
  /** cellWidth of each text */
  widths: number[];
  /** widest time, at least that of formatTime(0) */
  timeWidth: number;
  /** widest side text beside the first and the last column (0 when there is none) */
  leftSide: number;
  rightSide: number;
  /** the narrowest each gap (between bars g and g+1) may be */
  gaps: number[];
}

/** The gap (between bars g and g+1) that carries a segment's label: the one next to the sender. */
function labelGap(from: number, to: number): number {
  return from < to ? from : from - 1;
}

/** Cells at the receiver's end of an arrow that the label must leave free. */
function endReserve(dropped: boolean): number {
  return dropped ? 1 + DROP_TAIL : 1;
}

function endsInGap(from: number, to: number, gap: number): boolean {
  return from < to ? gap === to - 1 : gap === to;
}

/** Notes without a column sit in the middle gap (the only gap for two columns). */
function bannerGap(columnCount: number): number {
  return Math.floor((columnCount - 2) / 2);
}

/** A heading is centred on its bar: cells it takes left and right of the bar. */
function headingExtent(column: LadderColumn): { left: number; right: number } {
  const w = Math.max(cellWidth(sanitize(column.name)), cellWidth(sanitize(column.address ?? '')));
  const left = Math.floor(w / 2);
  return { left, right: Math.max(0, w - 1 - left) };
}

/**
 * One pass over the rows: their texts and times, and the minimum gaps. A gap is made
 * wide enough for everything drawn inside it — a label with its blanks, MIN_DASHES of
 * shaft each side and the receiver's reserve; a side text and two cells; a banner and
 * two cells; adjacent headings — so no two things drawn on one row ever overlap.
 */
function measure(ladder: Ladder): Measured {
  const { columns, rows } = ladder;
  const n = columns.length;
  const last = n - 1;
  const showConn = showsConnections(ladder);
  const gaps = new Array<number>(n - 1).fill(MIN_GAP);
  for (let g = 0; g < n - 1; g++) {
    gaps[g] = Math.max(gaps[g]!, headingExtent(columns[g]!).right + headingExtent(columns[g + 1]!).left + 1);
  }
  const banner = bannerGap(n);
  const count = rows.length;
  const times = new Array<string>(count);
  const texts = new Array<string>(count);
  const widths = new Array<number>(count);
  let timeWidth = cellWidth(formatTime(0));
  let leftSide = 0;
  let rightSide = 0;
  const cells = { width: 0 };
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    const time = formatTime(row.t);
    times[i] = time;
    if (time.length > timeWidth) timeWidth = time.length; // formatTime is ASCII: length = cells
    let text: string;
    let w: number;
    let gap = -1; // the gap this row's text sits in, if it sits in one
    let need = 0;
    if (row.kind === 'segment') {
      text = measuredSegmentLabel(row, showConn, cells);
      w = cells.width;
      gap = labelGap(row.from, row.to);
      need = w + 2 + 2 * MIN_DASHES + (endsInGap(row.from, row.to, gap) ? endReserve(hasMark(row, 'dropped')) : 0);
    } else {
      text = row.kind === 'state' ? stateLabel(row) : sanitize(row.text);
      w = cellWidth(text);
      if (row.column === null) {
        gap = banner;
        need = w + 2;
      } else if (row.column === 0) {
        if (w > leftSide) leftSide = w;
      } else if (row.column === last) {
        if (w > rightSide) rightSide = w;
      } else {
        gap = row.column;
        need = w + 2;
      }
    }
    texts[i] = text;
    widths[i] = w;
    if (gap >= 0 && need > gaps[gap]!) gaps[gap] = need;
  }
  return { times, texts, widths, timeWidth, leftSide, rightSide, gaps };
}

// ── layout ──────────────────────────────────────────────────────────────────

interface Layout {
  timeWidth: number;
  /** character position of each column's bar */
  x: number[];
}

/** Hand out spare width one cell at a time to the narrowest gap, so gaps even out. */
function widen(gaps: number[], spare: number): void {
  for (let left = spare; left > 0; left--) {
    let narrowest = 0;
    for (let g = 1; g < gaps.length; g++) if (gaps[g]! < gaps[narrowest]!) narrowest = g;
    gaps[narrowest]!++;
  }
}

function computeLayout(columns: LadderColumn[], m: Measured, width: number): Layout {
  const last = columns.length - 1;
  const timeWidth = m.timeWidth;
  const x0 = Math.max(timeWidth + 2 + (m.leftSide > 0 ? m.leftSide + 1 : 0), headingExtent(columns[0]!).left);
  const rightExtent = Math.max(m.rightSide > 0 ? m.rightSide + 1 : 0, headingExtent(columns[last]!).right);
  const gaps = m.gaps.slice();
  const used = x0 + gaps.reduce((a, b) => a + b, 0) + columns.length + rightExtent;
  widen(gaps, width - used);
  const x = [x0];
  for (const gap of gaps) x.push(x[x.length - 1]! + gap + 1);
  return { timeWidth, x };
}

// ── title and headings: a handful of lines per ladder, painted cell by cell ───

/** One output line as a row of single-width cells, each with an optional SGR style. */
class Line {
  private readonly cells: string[] = [];
  private readonly styles: (string | undefined)[] = [];

  put(at: number, text: string, style?: string): void {
    let i = at;
    for (const ch of text) {
      while (this.cells.length < i) this.pad();
      this.cells[i] = ch;
      this.styles[i] = style;
      i++;
    }
  }

  render(color: boolean): string {
    let end = this.cells.length;
    while (end > 0 && this.cells[end - 1] === ' ') end--;
    let out = '';
    let i = 0;
    while (i < end) {
      const style = color ? this.styles[i] : undefined;
      let j = i;
      while (j < end && (color ? this.styles[j] : undefined) === style) j++;
      const run = this.cells.slice(i, j).join('');
      out += style === undefined ? run : `\x1b[${style}m${run}\x1b[0m`;
      i = j;
    }
    return out;
  }

  private pad(): void {
    this.cells.push(' ');
    this.styles.push(undefined);
  }
}

function titleLine(title: string): Line {
  const line = new Line();
  line.put(0, sanitize(title), SGR.title);
  return line;
}

function headingLines(columns: LadderColumn[], layout: Layout): Line[] {
  const names = new Line();
  const addresses = new Line();
  columns.forEach((column, i) => {
    const at = layout.x[i]!;
    const name = sanitize(column.name);
    names.put(at - Math.floor(cellWidth(name) / 2), name, SGR.heading);
    if (column.address !== undefined && column.address !== '') {
      const address = sanitize(column.address);
      addresses.put(at - Math.floor(cellWidth(address) / 2), address);
    }
  });
  return columns.some((c) => c.address !== undefined && c.address !== '') ? [names, addresses] : [names];
}

// ── rows: written left to right, piece by piece ─────────────────────────────

function arrowStyle(kind: FlagKind, dropped: boolean): string | undefined {
  const colour = FLAG_SGR[kind];
  if (!dropped) return colour;
  return colour === undefined ? SGR.dim : `${SGR.dim};${colour}`;
}

/** Drops trailing blanks, as a line's trailing blank cells are dropped. */
function trimBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  return end === text.length ? text : text.slice(0, end);
}

const styled = (text: string, style: string): string => `\x1b[${style}m${text}\x1b[0m`;

/**
 * Draws rows on one layout. Every row is four pieces, left to right: the time
 * (styled), `before` (unstyled: blanks and bars, never empty), `body` (the arrow or
 * the text, in the row's style) and `after` (unstyled, possibly empty). Positions
 * are cells; `bars` and the shafts hold only single-code-unit characters, so a cell
 * position is also an index into them.
 */
class Drawing {
  /** the bar line: blanks with │ at every column, up to the last bar */
  readonly bars: string;
  private readonly x: number[];
  private readonly timeWidth: number;
  private readonly times: string[];
  private readonly texts: string[];
  private readonly widths: number[];
  /** shaft cells strictly between bars lo and hi (─, ┼ at the bars crossed), by lo * columns + hi */
  private readonly shafts: string[] = [];
  /** by column k: the bar line from the end of the time up to bar k, up to and including it */
  private readonly upTo: string[];
  private readonly through: string[];
  /** by column k: the bar line from bar k on, and after bar k */
  private readonly from: string[];
  private readonly past: string[];
  // the pieces of the row being drawn
  private before = '';
  private body = '';
  private after = '';
  private style: string | undefined = undefined;

  constructor(layout: Layout, m: Measured, private readonly color: boolean) {
    this.x = layout.x;
    this.timeWidth = layout.timeWidth;
    this.times = m.times;
    this.texts = m.texts;
    this.widths = m.widths;
    let bars = '';
    for (const at of this.x) bars += ' '.repeat(at - bars.length) + GLYPH.bar;
    this.bars = bars;
    this.upTo = this.x.map((at) => bars.slice(this.timeWidth, at));
    this.through = this.x.map((at) => bars.slice(this.timeWidth, at + 1));
    this.from = this.x.map((at) => bars.slice(at));
    this.past = this.x.map((at) => bars.slice(at + 1));
  }

  row(row: LadderRow, i: number): string {
    const text = this.texts[i]!;
    const w = this.widths[i]!;
    if (row.kind === 'segment') this.arrow(row, text, w);
    else if (row.column === null) this.banner(text, w);
    else this.side(row.column, text, w, row.kind === 'state' ? SGR.state : SGR.note);
    const time = this.times[i]!.padStart(this.timeWidth);
    if (!this.color) return time + this.before + this.body + this.after;
    // as cells of one style made one run: `before` and `after` are never next to the time
    const style = this.style;
    const rest =
      style === undefined || this.body === ''
        ? this.before + this.body + this.after
        : this.before + styled(this.body, style) + this.after;
    return styled(time, SGR.time) + rest;
  }

  private shaft(lo: number, hi: number): string {
    const key = lo * this.x.length + hi;
    let s = this.shafts[key];
    if (s === undefined) {
      const x = this.x;
      s = '';
      for (let k = lo + 1; k <= hi; k++) s += GLYPH.shaft.repeat(x[k]! - x[k - 1]! - 1) + (k < hi ? GLYPH.cross : '');
      this.shafts[key] = s;
    }
    return s;
  }

  /**
   * The sender's tee, the shaft (crossing the bars between), the label block centred
   * in the gap next to the sender, and at the receiver either the head or — for a
   * dropped segment — ✕ followed by DROP_TAIL blanks.
   */
  private arrow(seg: LadderSegment, label: string, w: number): void {
    const x = this.x;
    const { from, to } = seg;
    const dropped = hasMark(seg, 'dropped');
    this.style = this.color ? arrowStyle(flagKind(seg.flags), dropped) : undefined;
    const rightwards = from < to;
    const lo = rightwards ? from : to;
    const hi = rightwards ? to : from;
    const g = labelGap(from, to);
    let start = x[g]! + 1 + MIN_DASHES;
    let end = x[g + 1]! - 1 - MIN_DASHES; // inclusive
    if (endsInGap(from, to, g)) {
      if (rightwards) end -= endReserve(dropped);
      else start += endReserve(dropped);
    }
    const blockWidth = w + 2;
    const labelAt = start + Math.floor((end - start + 1 - blockWidth) / 2);
    const shaft = this.shaft(lo, hi);
    const origin = x[lo]! + 1; // shaft index 0
    const left = labelAt - origin;
    const right = labelAt + blockWidth - origin;
    const cut = dropped ? 1 + DROP_TAIL : 1; // shaft cells at the receiver's end given to head or ✕
    if (rightwards) {
      this.before = this.upTo[lo]!;
      this.body =
        GLYPH.teeRight + shaft.slice(0, left) + ' ' + label + ' ' + shaft.slice(right, shaft.length - cut) + (dropped ? GLYPH.drop : GLYPH.headRight);
      this.after = dropped ? DROP_GAP + this.from[hi]! : this.from[hi]!;
    } else {
      this.before = dropped ? this.through[lo]! + DROP_GAP : this.through[lo]!;
      this.body = (dropped ? GLYPH.drop : GLYPH.headLeft) + shaft.slice(cut, left) + ' ' + label + ' ' + shaft.slice(right) + GLYPH.teeLeft;
      this.after = this.past[hi]!;
    }
  }

  /** Left of the first bar (right-aligned), right of any other bar after a blank. */
  private side(column: number, text: string, w: number, style: string): void {
    const { x, bars } = this;
    const at = x[column]!;
    this.style = style;
    if (column === x.length - 1) {
      const shown = trimBlanks(text); // nothing follows, so its trailing blanks go
      this.before = shown === '' ? this.through[column]! : this.through[column]! + ' ';
      this.body = shown;
      this.after = '';
      return;
    }
    const start = column === 0 ? at - 1 - w : at + 2;
    this.before = bars.slice(this.timeWidth, start);
    this.body = text;
    this.after = bars.slice(start + w);
  }

  /** Centred in the middle gap. */
  private banner(text: string, w: number): void {
    const { x, bars } = this;
    const g = bannerGap(x.length);
    const inside = x[g + 1]! - x[g]! - 1;
    const start = x[g]! + 1 + Math.floor((inside - w) / 2);
    this.style = SGR.note;
    this.before = bars.slice(this.timeWidth, start);
    this.body = text;
    this.after = bars.slice(start + w);
  }
}
