/**
 * REFERENCE ORACLE — test use only. A frozen copy of renderLadderText (and the
 * label helpers it used from ladder-label.ts) as they were before the renderer was
 * rewritten for speed (commit cc9c4a9). ladder-text-equivalence.test.ts checks that
 * the fast renderer's output equals this one's, character for character. Do not
 * "fix" or optimise this file: its only job is to stay what the old code was.
 */
import type { Ladder, LadderColumn, LadderRow, LadderSegment, LadderState, SegmentMark } from '../../harness/report/model.js';

// ── from harness/report/ladder-label.ts (cc9c4a9) ──────────────────────────

function formatTime(t: number): string {
  return t.toFixed(3);
}

function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function cellWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

type FlagKind = 'rst' | 'syn' | 'fin' | 'other';

function flagKind(flags: string): FlagKind {
  const tokens = new Set(flags.toUpperCase().split(/[^A-Z]+/));
  if (tokens.has('RST')) return 'rst';
  if (tokens.has('SYN')) return 'syn';
  if (tokens.has('FIN')) return 'fin';
  return 'other';
}

function hasMark(seg: LadderSegment, mark: SegmentMark): boolean {
  return seg.marks?.includes(mark) ?? false;
}

function showsConnections(ladder: Ladder): boolean {
  const conns = new Set<number>();
  for (const row of ladder.rows) {
    if (row.kind === 'segment' && row.conn !== undefined) conns.add(row.conn);
  }
  return conns.size > 1;
}

function markTags(seg: LadderSegment): string[] {
  const marks = seg.marks ?? [];
  const shown = marks.filter(
    (m) => m !== 'dropped' && !(seg.note !== undefined && (m === 'held' || m === 'delayed')),
  );
  const tags = shown.map((m) => `[${m}]`);
  if (seg.note !== undefined && seg.note !== '') tags.push(`[${seg.note}]`);
  return tags;
}

function segmentLabel(seg: LadderSegment, showConn = false): string {
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

function stateLabel(row: LadderState): string {
  const text = row.socket !== undefined && row.socket !== '' ? `${row.socket} ${row.state}` : row.state;
  return sanitize(text);
}

function assertColumn(ladder: Ladder, index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= ladder.columns.length) {
    throw new RangeError(`${what}: column ${index} does not exist (ladder has ${ladder.columns.length})`);
  }
}

function validateLadder(ladder: Ladder): void {
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

/** The old label helpers, for comparing the rewritten ones (the SVG renderer uses them too). */
export const referenceLabels = { formatTime, sanitize, cellWidth, flagKind, segmentLabel, stateLabel, showsConnections, validateLadder };

// ── from harness/report/ladder-text.ts (cc9c4a9) ───────────────────────────

export interface LadderTextOptions {
  color?: boolean;
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

/** A row reduced to what layout and drawing need. */
type Item =
  | { kind: 'arrow'; t: number; from: number; to: number; label: string; dropped: boolean; style: string | undefined }
  | { kind: 'side'; t: number; column: number; text: string; style: string }
  | { kind: 'banner'; t: number; text: string };

interface Layout {
  timeWidth: number;
  /** character position of each column's bar */
  x: number[];
}

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

export function referenceRenderLadderText(ladder: Ladder, opts: LadderTextOptions = {}): string {
  validateLadder(ladder);
  const items = toItems(ladder);
  const layout = computeLayout(ladder, items, opts.width ?? DEFAULT_WIDTH);
  const lines: Line[] = [];
  if (ladder.title !== undefined && ladder.title !== '') lines.push(titleLine(ladder.title));
  lines.push(...headingLines(ladder.columns, layout));
  lines.push(barLine(layout));
  for (const item of items) lines.push(itemLine(item, layout));
  lines.push(barLine(layout));
  return lines.map((line) => line.render(opts.color === true)).join('\n') + '\n';
}

// ── rows → items ────────────────────────────────────────────────────────────

function toItems(ladder: Ladder): Item[] {
  const showConn = showsConnections(ladder);
  return ladder.rows.map((row) => toItem(row, showConn));
}

function toItem(row: LadderRow, showConn: boolean): Item {
  switch (row.kind) {
    case 'segment': {
      const dropped = hasMark(row, 'dropped');
      return {
        kind: 'arrow',
        t: row.t,
        from: row.from,
        to: row.to,
        label: segmentLabel(row, showConn),
        dropped,
        style: arrowStyle(flagKind(row.flags), dropped),
      };
    }
    case 'state':
      return { kind: 'side', t: row.t, column: row.column, text: stateLabel(row), style: SGR.state };
    case 'note':
      return row.column === null
        ? { kind: 'banner', t: row.t, text: sanitize(row.text) }
        : { kind: 'side', t: row.t, column: row.column, text: sanitize(row.text), style: SGR.note };
  }
}

function arrowStyle(kind: FlagKind, dropped: boolean): string | undefined {
  const colour = FLAG_SGR[kind];
  if (!dropped) return colour;
  return colour === undefined ? SGR.dim : `${SGR.dim};${colour}`;
}

// ── layout ──────────────────────────────────────────────────────────────────

/** The gap (between bars g and g+1) that carries a segment's label: the one next to the sender. */
function labelGap(from: number, to: number): number {
  return from < to ? from : from - 1;
}

/** Cells at the receiver's end of an arrow that the label must leave free. */
function endReserve(item: { dropped: boolean }): number {
  return item.dropped ? 1 + DROP_TAIL : 1;
}

function endsInGap(item: { from: number; to: number }, gap: number): boolean {
  return item.from < item.to ? gap === item.to - 1 : gap === item.to;
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

function minimumGaps(columns: LadderColumn[], items: Item[]): number[] {
  const n = columns.length;
  const gaps = new Array<number>(n - 1).fill(MIN_GAP);
  const need = (gap: number, cells: number): void => {
    gaps[gap] = Math.max(gaps[gap] ?? 0, cells);
  };
  for (let g = 0; g < n - 1; g++) {
    need(g, headingExtent(columns[g]!).right + headingExtent(columns[g + 1]!).left + 1);
  }
  for (const item of items) {
    if (item.kind === 'arrow') {
      const g = labelGap(item.from, item.to);
      const reserve = endsInGap(item, g) ? endReserve(item) : 0;
      need(g, cellWidth(item.label) + 2 + 2 * MIN_DASHES + reserve);
    } else if (item.kind === 'side' && item.column > 0 && item.column < n - 1) {
      need(item.column, cellWidth(item.text) + 2);
    } else if (item.kind === 'banner') {
      need(bannerGap(n), cellWidth(item.text) + 2);
    }
  }
  return gaps;
}

function sideWidth(items: Item[], column: number): number {
  let w = 0;
  for (const item of items) {
    if (item.kind === 'side' && item.column === column) w = Math.max(w, cellWidth(item.text));
  }
  return w;
}

/** Hand out spare width one cell at a time to the narrowest gap, so gaps even out. */
function widen(gaps: number[], spare: number): void {
  for (let left = spare; left > 0; left--) {
    let narrowest = 0;
    for (let g = 1; g < gaps.length; g++) if (gaps[g]! < gaps[narrowest]!) narrowest = g;
    gaps[narrowest]!++;
  }
}

function computeLayout(ladder: Ladder, items: Item[], width: number): Layout {
  const columns = ladder.columns;
  const last = columns.length - 1;
  const timeWidth = Math.max(cellWidth(formatTime(0)), ...items.map((item) => cellWidth(formatTime(item.t))));
  const leftSide = sideWidth(items, 0);
  const x0 = Math.max(timeWidth + 2 + (leftSide > 0 ? leftSide + 1 : 0), headingExtent(columns[0]!).left);
  const rightSide = sideWidth(items, last);
  const rightExtent = Math.max(rightSide > 0 ? rightSide + 1 : 0, headingExtent(columns[last]!).right);
  const gaps = minimumGaps(columns, items);
  const used = x0 + gaps.reduce((a, b) => a + b, 0) + columns.length + rightExtent;
  widen(gaps, width - used);
  const x = [x0];
  for (const gap of gaps) x.push(x[x.length - 1]! + gap + 1);
  return { timeWidth, x };
}

// ── drawing ─────────────────────────────────────────────────────────────────

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

function barLine(layout: Layout): Line {
  const line = new Line();
  for (const at of layout.x) line.put(at, GLYPH.bar);
  return line;
}

function itemLine(item: Item, layout: Layout): Line {
  const line = barLine(layout);
  line.put(0, formatTime(item.t).padStart(layout.timeWidth), SGR.time);
  switch (item.kind) {
    case 'arrow':
      drawArrow(line, item, layout.x);
      break;
    case 'side':
      drawSide(line, item, layout.x);
      break;
    case 'banner':
      drawBanner(line, item.text, layout.x);
      break;
  }
  return line;
}

function drawSide(line: Line, item: Extract<Item, { kind: 'side' }>, x: number[]): void {
  const at = x[item.column]!;
  const start = item.column === 0 ? at - 1 - cellWidth(item.text) : at + 2;
  line.put(start, item.text, item.style);
}

function drawBanner(line: Line, text: string, x: number[]): void {
  const g = bannerGap(x.length);
  const inside = x[g + 1]! - x[g]! - 1;
  line.put(x[g]! + 1 + Math.floor((inside - cellWidth(text)) / 2), text, SGR.note);
}

function drawArrow(line: Line, item: Extract<Item, { kind: 'arrow' }>, x: number[]): void {
  const rightwards = item.from < item.to;
  const lo = Math.min(item.from, item.to);
  const hi = Math.max(item.from, item.to);
  for (let c = x[lo]! + 1; c < x[hi]!; c++) line.put(c, GLYPH.shaft, item.style);
  for (let k = lo + 1; k < hi; k++) line.put(x[k]!, GLYPH.cross, item.style);
  line.put(x[item.from]!, rightwards ? GLYPH.teeRight : GLYPH.teeLeft, item.style);
  drawArrowEnd(line, item, x, rightwards);
  drawArrowLabel(line, item, x);
}

function drawArrowEnd(line: Line, item: Extract<Item, { kind: 'arrow' }>, x: number[], rightwards: boolean): void {
  const receiver = x[item.to]!;
  const step = rightwards ? -1 : 1;
  const head = receiver + step;
  if (!item.dropped) {
    line.put(head, rightwards ? GLYPH.headRight : GLYPH.headLeft, item.style);
    return;
  }
  for (let i = 0; i < DROP_TAIL; i++) line.put(head + step * i, ' ');
  line.put(head + step * DROP_TAIL, GLYPH.drop, item.style);
}

function drawArrowLabel(line: Line, item: Extract<Item, { kind: 'arrow' }>, x: number[]): void {
  const g = labelGap(item.from, item.to);
  let start = x[g]! + 1 + MIN_DASHES;
  let end = x[g + 1]! - 1 - MIN_DASHES; // inclusive
  if (endsInGap(item, g)) {
    if (item.from < item.to) end -= endReserve(item);
    else start += endReserve(item);
  }
  const block = ` ${item.label} `;
  line.put(start + Math.floor((end - start + 1 - cellWidth(block)) / 2), block, item.style);
}
