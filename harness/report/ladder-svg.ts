/**
 * Ladder diagram as a standalone SVG: hosts as columns with lifelines, one
 * `<g class="segment">` per segment (sloped arrow, label, hover `<title>`),
 * state boxes beside their column, a `<g class="timer">` band along the lifeline
 * while a timer state (TIME_WAIT) lasts, notes as text. Rows are evenly spaced;
 * the time is written in the left margin.
 *
 * Styling uses presentation attributes only (no `<style>` element), so several
 * ladders can be inlined into one HTML page without their rules leaking; marker
 * ids carry a per-ladder prefix for the same reason.
 */
import type { Ladder, LadderColumn, LadderNote, LadderRow, LadderSegment, LadderState } from './model.js';
import {
  cellWidth,
  flagKind,
  formatTime,
  hasMark,
  sanitize,
  segmentDetails,
  segmentLabel,
  showsConnections,
  stateLabel,
  validateLadder,
} from './ladder-label.js';

export interface LadderSvgOptions {
  /** heading above the diagram; defaults to the ladder's title */
  title?: string;
  /** prefix for element ids (arrowhead markers); defaults to a hash of the ladder */
  idPrefix?: string;
}

const FONT_SIZE = 12;
/** advance of one character of a monospace font at FONT_SIZE (0.6 em) */
const CHAR_W = 7.2;
const MARGIN = 16;
const ROW_H = 30;
/** how far an arrow descends over its length, to show time passing */
const SLOPE = 8;
const MIN_GAP = 240;
const BOX_PAD = 5;
const BOX_H = 18;
/** distance between a lifeline and a state box or note beside it */
const SIDE_GAP = 8;
/** share of its length a dropped segment's line is drawn before the ✕ */
const DROPPED_REACH = 0.7;

const INK = { text: '#222', muted: '#666', lifeline: '#9e9e9e', boxFill: '#e8eef7', boxStroke: '#90a4c0' } as const;

/** Arrow colours; a mark (how the wire treated the segment) wins over the flags. */
const PAINT = {
  plain: '#37474f',
  syn: '#2e7d32',
  fin: '#9e7c00',
  rst: '#c62828',
  retransmitted: '#8e24aa',
  reordered: '#d84315',
  injected: '#0277bd',
} as const;
type PaintKey = keyof typeof PAINT;

const DASH = { dropped: '6 4', held: '2 3' } as const;

interface Layout {
  x: number[];
  width: number;
  height: number;
  titleY: number | null;
  nameY: number;
  addressY: number | null;
  lifelineTop: number;
  lifelineBottom: number;
  rowsTop: number;
}

type Attrs = Record<string, string | number | undefined>;

export function renderLadderSvg(ladder: Ladder, opts: LadderSvgOptions = {}): string {
  validateLadder(ladder);
  const title = sanitize(opts.title ?? ladder.title ?? '');
  const prefix = opts.idPrefix ?? `tl${hash(JSON.stringify(ladder) + '\u0000' + title)}`;
  const layout = computeLayout(ladder, title);
  const showConn = showsConnections(ladder);
  const body = [
    el('rect', { x: 0, y: 0, width: layout.width, height: layout.height, fill: '#fff' }),
    defs(ladder, prefix),
    ...(layout.titleY === null ? [] : [titleText(title, layout.titleY)]),
    columnsGroup(ladder.columns, layout),
    ...timersGroup(ladder, layout),
    el('g', { class: 'times', fill: INK.muted }, ...ladder.rows.map((row, i) => timeText(row, rowTop(layout, i)))),
    el('g', { class: 'rows' }, ...ladder.rows.map((row, i) => rowElement(ladder, row, rowTop(layout, i), layout, prefix, showConn))),
  ];
  const root: Attrs = {
    xmlns: 'http://www.w3.org/2000/svg',
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${num(layout.width)} ${num(layout.height)}`,
    'font-family': 'monospace',
    'font-size': FONT_SIZE,
    role: 'img',
    'aria-label': title === '' ? 'ladder diagram' : title,
  };
  const svgTitle = title === '' ? [] : [el('title', {}, escapeXml(title))];
  return el('svg', root, ...svgTitle, ...body) + '\n';
}

// ── XML ─────────────────────────────────────────────────────────────────────

/** Escapes markup characters and removes code points XML 1.0 does not allow. */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

function el(name: string, attrs: Attrs, ...children: string[]): string {
  const attrText = Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${typeof value === 'number' ? num(value) : escapeXml(value)}"`)
    .join('');
  if (children.length === 0) return `<${name}${attrText}/>`;
  const inline = children.every((child) => !child.startsWith('<'));
  return inline ? `<${name}${attrText}>${children.join('')}</${name}>` : `<${name}${attrText}>\n${children.join('\n')}\n</${name}>`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a stable, short id from the ladder's content. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

// ── layout ──────────────────────────────────────────────────────────────────

function textPx(text: string): number {
  return cellWidth(text) * CHAR_W;
}

function headingHalf(column: LadderColumn): number {
  return Math.max(textPx(sanitize(column.name)), textPx(sanitize(column.address ?? ''))) / 2;
}

function sideText(row: LadderRow): string | null {
  if (row.kind === 'state') return stateLabel(row);
  if (row.kind === 'note' && row.column !== null) return sanitize(row.text);
  return null;
}

/** Widest box or note beside a column, including its distance from the lifeline. */
function sideExtent(rows: LadderRow[], column: number): number {
  let widest = 0;
  for (const row of rows) {
    const text = sideText(row);
    if (text !== null && row.kind !== 'segment' && row.column === column) widest = Math.max(widest, textPx(text) + 2 * BOX_PAD);
  }
  return widest === 0 ? 0 : widest + SIDE_GAP;
}

/** Raises the gaps between columns lo..hi so together they are at least `need` wide. */
function spread(gaps: number[], lo: number, hi: number, need: number): void {
  let have = 0;
  for (let g = lo; g < hi; g++) have += gaps[g]!;
  if (have >= need) return;
  const share = (need - have) / (hi - lo);
  for (let g = lo; g < hi; g++) gaps[g]! += share;
}

function columnGaps(ladder: Ladder): number[] {
  const n = ladder.columns.length;
  const gaps = new Array<number>(n - 1).fill(MIN_GAP);
  for (let g = 0; g < n - 1; g++) {
    spread(gaps, g, g + 1, headingHalf(ladder.columns[g]!) + headingHalf(ladder.columns[g + 1]!) + 24);
    if (g > 0) spread(gaps, g, g + 1, sideExtent(ladder.rows, g) + 24);
  }
  for (const row of ladder.rows) {
    if (row.kind === 'segment') {
      spread(gaps, Math.min(row.from, row.to), Math.max(row.from, row.to), textPx(segmentLabel(row)) + 48);
    } else if (row.kind === 'note' && row.column === null) {
      spread(gaps, 0, n - 1, textPx(sanitize(row.text)) + 24);
    }
  }
  return gaps;
}

function computeLayout(ladder: Ladder, title: string): Layout {
  const columns = ladder.columns;
  const last = columns.length - 1;
  const timeWidth = Math.max(textPx(formatTime(0)), ...ladder.rows.map((row) => textPx(formatTime(row.t)))) + 16;
  const x0 = MARGIN + Math.max(timeWidth + sideExtent(ladder.rows, 0), headingHalf(columns[0]!));
  const x = [x0];
  for (const gap of columnGaps(ladder)) x.push(x[x.length - 1]! + gap);
  const right = Math.max(sideExtent(ladder.rows, last), headingHalf(columns[last]!));
  const titleY = title === '' ? null : MARGIN + FONT_SIZE + 2;
  const nameY = (titleY ?? MARGIN - 8) + 24;
  const addressY = columns.some((c) => c.address !== undefined && c.address !== '') ? nameY + 15 : null;
  const lifelineTop = (addressY ?? nameY) + 8;
  const rowsTop = lifelineTop + 6;
  const lifelineBottom = rowsTop + ladder.rows.length * ROW_H + 6;
  return {
    x,
    width: Math.ceil(x[last]! + right + MARGIN),
    height: Math.ceil(lifelineBottom + MARGIN),
    titleY,
    nameY,
    addressY,
    lifelineTop,
    lifelineBottom,
    rowsTop,
  };
}

function rowTop(layout: Layout, index: number): number {
  return layout.rowsTop + index * ROW_H;
}

// ── static parts ────────────────────────────────────────────────────────────

function segmentPaint(seg: LadderSegment): PaintKey {
  if (hasMark(seg, 'injected')) return 'injected';
  if (hasMark(seg, 'retransmission') || hasMark(seg, 'duplicated')) return 'retransmitted';
  if (hasMark(seg, 'out-of-order')) return 'reordered';
  return flagKind(seg.flags) === 'other' ? 'plain' : flagKind(seg.flags) as PaintKey;
}

function markerId(prefix: string, key: PaintKey): string {
  return `${prefix}-head-${key}`;
}

/** One arrowhead per colour in use: SVG 1.1 markers cannot take the line's colour. */
function defs(ladder: Ladder, prefix: string): string {
  const used = new Set<PaintKey>();
  for (const row of ladder.rows) {
    if (row.kind === 'segment' && !hasMark(row, 'dropped')) used.add(segmentPaint(row));
  }
  const markers = (Object.keys(PAINT) as PaintKey[])
    .filter((key) => used.has(key))
    .map((key) =>
      el(
        'marker',
        {
          id: markerId(prefix, key),
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 9,
          markerHeight: 9,
          markerUnits: 'userSpaceOnUse',
          orient: 'auto',
        },
        el('path', { d: 'M0,1 L10,5 L0,9 z', fill: PAINT[key] }),
      ),
    );
  return markers.length === 0 ? el('defs', {}) : el('defs', {}, ...markers);
}

function titleText(title: string, y: number): string {
  return el('text', { class: 'title', x: MARGIN, y, 'font-weight': 'bold', 'font-size': FONT_SIZE + 2, fill: INK.text }, escapeXml(title));
}

function columnsGroup(columns: LadderColumn[], layout: Layout): string {
  const groups = columns.map((column, i) => {
    const x = layout.x[i]!;
    const parts = [
      el('text', { x, y: layout.nameY, 'text-anchor': 'middle', 'font-weight': 'bold', fill: INK.text }, escapeXml(sanitize(column.name))),
    ];
    if (layout.addressY !== null && column.address !== undefined && column.address !== '') {
      parts.push(el('text', { x, y: layout.addressY, 'text-anchor': 'middle', fill: INK.muted }, escapeXml(sanitize(column.address))));
    }
    parts.push(
      el('line', { class: 'lifeline', x1: x, y1: layout.lifelineTop, x2: x, y2: layout.lifelineBottom, stroke: INK.lifeline, 'stroke-width': 1 }),
    );
    return el('g', { class: 'column', 'data-column': i }, ...parts);
  });
  return el('g', { class: 'columns' }, ...groups);
}

function timeText(row: LadderRow, top: number): string {
  return el('text', { class: 'time', x: MARGIN, y: top + 19 }, formatTime(row.t));
}

// ── timers ──────────────────────────────────────────────────────────────────

/** States that run a timer, drawn as a band along the lifeline until the socket's next state. */
export const TIMER_STATES: Readonly<Record<string, string>> = {
  TIME_WAIT: '2MSL timer (Linux: 60 s, compiled in)',
};

const TIMER = { width: 6, gap: 1, fill: '#f9a825', opacity: 0.55 } as const;

interface TimerSpan {
  row: LadderState;
  start: number;
  /** row index of the socket's next state, or null when the timer outlived the ladder */
  end: number | null;
}

/** One span per timer state, ended by the next state of the same socket on the same column. */
export function timerSpans(rows: LadderRow[]): TimerSpan[] {
  const open = new Map<string, TimerSpan>();
  const spans: TimerSpan[] = [];
  rows.forEach((row, i) => {
    if (row.kind !== 'state') return;
    const key = `${row.column}\u0000${row.socket ?? ''}`;
    const running = open.get(key);
    if (running) {
      running.end = i;
      open.delete(key);
    }
    if (TIMER_STATES[row.state] !== undefined) {
      const span: TimerSpan = { row, start: i, end: null };
      spans.push(span);
      open.set(key, span);
    }
  });
  return spans;
}

function timersGroup(ladder: Ladder, layout: Layout): string[] {
  const spans = timerSpans(ladder.rows);
  if (spans.length === 0) return [];
  const bands = spans.map(({ row, start, end }) => {
    const lifeline = layout.x[row.column]!;
    const left = row.column === 0 ? lifeline - TIMER.gap - TIMER.width : lifeline + TIMER.gap;
    const top = rowTop(layout, start) + 6 + BOX_H / 2;
    const bottom = end === null ? layout.lifelineBottom : rowTop(layout, end) + 6 + BOX_H / 2;
    const until = end === null ? 'still running when the capture ended' : `ended at ${formatTime(ladder.rows[end]!.t)} s`;
    const tooltip = `${stateLabel(row)}: ${TIMER_STATES[row.state]!} from ${formatTime(row.t)} s, ${until}`;
    return el(
      'g',
      { class: 'timer', 'data-column': row.column, 'data-state': row.state, 'data-open': end === null ? 'true' : undefined },
      el('title', {}, escapeXml(tooltip)),
      el('rect', { x: left, y: top, width: TIMER.width, height: Math.max(0, bottom - top), fill: TIMER.fill, 'fill-opacity': TIMER.opacity }),
    );
  });
  return [el('g', { class: 'timers' }, ...bands)];
}

// ── rows ────────────────────────────────────────────────────────────────────

function rowElement(ladder: Ladder, row: LadderRow, top: number, layout: Layout, prefix: string, showConn: boolean): string {
  switch (row.kind) {
    case 'segment':
      return segmentGroup(ladder, row, top, layout.x, prefix, showConn);
    case 'state':
      return stateGroup(row, top, layout.x);
    case 'note':
      return noteGroup(row, top, layout.x);
  }
}

/** White outline behind text, so labels stay legible where they cross a lifeline. */
const HALO: Attrs = { stroke: '#fff', 'stroke-width': 3, 'stroke-linejoin': 'round', 'paint-order': 'stroke' };

function segmentGroup(ladder: Ladder, seg: LadderSegment, top: number, x: number[], prefix: string, showConn: boolean): string {
  const key = segmentPaint(seg);
  const colour = PAINT[key];
  const dropped = hasMark(seg, 'dropped');
  const held = hasMark(seg, 'held') || hasMark(seg, 'delayed');
  const x1 = x[seg.from]!;
  const y1 = top + 16;
  const reach = dropped ? DROPPED_REACH : 1;
  const x2 = x1 + (x[seg.to]! - x1) * reach;
  const y2 = y1 + SLOPE * reach;
  const line = el('line', {
    x1,
    y1,
    x2,
    y2,
    stroke: colour,
    'stroke-width': 1.5,
    'stroke-dasharray': dropped ? DASH.dropped : held ? DASH.held : undefined,
    'marker-end': dropped ? undefined : `url(#${markerId(prefix, key)})`,
  });
  const label = el(
    'text',
    { x: (x1 + x[seg.to]!) / 2, y: top + 11, 'text-anchor': 'middle', fill: colour, ...HALO },
    escapeXml(segmentLabel(seg, showConn)),
  );
  const parts = [el('title', {}, escapeXml(segmentDetails(seg, ladder))), line, label];
  if (dropped) parts.push(dropMark(x2, y2, colour));
  return el(
    'g',
    {
      class: 'segment',
      'data-frame': seg.frame,
      'data-from': seg.from,
      'data-to': seg.to,
      'data-flags': seg.flags,
      'data-marks': seg.marks !== undefined && seg.marks.length > 0 ? seg.marks.join(' ') : undefined,
      opacity: dropped ? 0.75 : undefined,
    },
    ...parts,
  );
}

function dropMark(cx: number, cy: number, colour: string): string {
  const r = 4.5;
  return el('path', {
    class: 'drop-mark',
    d: `M${num(cx - r)},${num(cy - r)} L${num(cx + r)},${num(cy + r)} M${num(cx - r)},${num(cy + r)} L${num(cx + r)},${num(cy - r)}`,
    stroke: colour,
    'stroke-width': 2,
    'stroke-linecap': 'round',
    fill: 'none',
  });
}

/** Left edge of something `width` wide beside a column: left of column 0, right of the others. */
function besideColumn(x: number[], column: number, width: number): number {
  return column === 0 ? x[0]! - SIDE_GAP - width : x[column]! + SIDE_GAP;
}

function stateGroup(row: LadderState, top: number, x: number[]): string {
  const text = stateLabel(row);
  const width = textPx(text) + 2 * BOX_PAD;
  const left = besideColumn(x, row.column, width);
  const tooltip = `${text}  t=${formatTime(row.t)} s` + (row.source !== undefined ? `  (${sanitize(row.source)})` : '');
  return el(
    'g',
    { class: 'state', 'data-column': row.column, 'data-state': row.state },
    el('title', {}, escapeXml(tooltip)),
    el('rect', { x: left, y: top + 6, width, height: BOX_H, rx: 3, fill: INK.boxFill, stroke: INK.boxStroke }),
    el('text', { x: left + BOX_PAD, y: top + 19, fill: INK.text }, escapeXml(text)),
  );
}

function noteGroup(row: LadderNote, top: number, x: number[]): string {
  const text = sanitize(row.text);
  const common: Attrs = { y: top + 19, fill: INK.muted, 'font-style': 'italic', ...HALO };
  const textEl =
    row.column === null
      ? el('text', { x: (x[0]! + x[x.length - 1]!) / 2, 'text-anchor': 'middle', ...common }, escapeXml(text))
      : el('text', { x: besideColumn(x, row.column, textPx(text) + 2 * BOX_PAD) + BOX_PAD, ...common }, escapeXml(text));
  return el('g', { class: 'note', 'data-column': row.column ?? undefined }, textEl);
}
