/**
 * A ladder as a Mermaid sequence diagram, which GitHub and GitLab draw where Markdown
 * holds it: the columns are participants, each segment a message from its sender to
 * its receiver, states and socket calls notes beside their host, in time order.
 *
 *   sequenceDiagram
 *     participant h0 as client<br/>198.18.0.1
 *     h0->>h1: t=0.004 SYN seq=0 win=64240 #60;mss 1460#62;
 *     Note left of h0: t=0.004 ESTABLISHED
 *
 * A dropped segment is a dotted line ending in a cross, a held or delayed one a
 * dotted arrow. More than BULK_RUN data segments in a row from one sender
 * (with only bare ACKs coming back) become one message that counts them, and the
 * ACKs another. Mermaid draws nothing longer than 50 000 characters: the diagram
 * stops, at a line's end, before MERMAID_MAX_CHARS, with a note saying what was left out.
 */
import { formatTime, hasMark, sanitize, segmentLabel, showsConnections, stateLabel, validateLadder } from './ladder-label.js';
import type { Ladder, LadderSegment } from './model.js';
import { bulkRunAt, byteCount } from './ladder-bulk.js';

/** The longest diagram this renderer writes; Mermaid's own limit (maxTextSize) is 50 000. */
export const MERMAID_MAX_CHARS = 40_000;
/** Longer message and note texts end in "…" (a line that long is unreadable anyway). */
const MAX_TEXT = 500;

// Characters Mermaid reads as syntax in a text, written as its entity codes "#<code>;":
// ; and # end a text, % may start a directive, < and > would be HTML, & an HTML entity.
const TEXT_SYNTAX = /[#;%&<>]/g;
// a participant's alias also ends at : , and @
const ALIAS_SYNTAX = /[#;%&<>:,@{}]/g;
const entity = (c: string): string => `#${c.charCodeAt(0)};`;

/** Text for a message, note or title, as Mermaid shows it literally. */
function text(raw: string): string {
  let t = sanitize(raw).trim();
  if (t.length > MAX_TEXT) t = `${t.slice(0, MAX_TEXT - 1)}…`;
  t = t.replace(TEXT_SYNTAX, entity);
  // Mermaid takes a leading "wrap:" or "nowrap:" as an instruction, not text
  return /^:?(no)?wrap:/.test(t) ? entity(t) + t.slice(1) : t;
}

function alias(raw: string): string {
  let t = sanitize(raw).trim();
  if (t.length > MAX_TEXT) t = `${t.slice(0, MAX_TEXT - 1)}…`;
  return t.replace(ALIAS_SYNTAX, entity);
}

/**
 * A Mermaid sequenceDiagram of the ladder (ends with a newline). Only the hosts the
 * drawn rows use are declared, in column order, and count towards the limit: a
 * capture of a thousand connections has a thousand and one.
 */
export function renderLadderMermaid(ladder: Ladder): string {
  validateLadder(ladder);
  const { columns, rows } = ladder;
  const id = (column: number): string => `h${column}`;
  const showConn = showsConnections(ladder);
  const conn = (seg: LadderSegment): string => (showConn && seg.conn !== undefined ? `#${seg.conn} ` : '');
  const last = columns.length - 1;
  const noteAt = (column: number | null): string =>
    column === null ? `over ${id(0)},${id(last)}` : column === 0 ? `left of ${id(0)}` : column === last ? `right of ${id(last)}` : `over ${id(column)}`;
  const message = (seg: LadderSegment, body: string): string => {
    const arrow = hasMark(seg, 'dropped') ? '--x' : hasMark(seg, 'held') || hasMark(seg, 'delayed') ? '-->>' : '->>';
    return `  ${id(seg.from)}${arrow}${id(seg.to)}: ${text(body)}`;
  };
  const declaration = (i: number): string => {
    const c = columns[i]!;
    const address = c.address !== undefined && c.address.trim() !== '' ? `<br/>${alias(c.address)}` : '';
    return `  participant ${id(i)} as ${alias(c.name) || id(i)}${address}\n`;
  };

  let head = 'sequenceDiagram\n';
  if (ladder.title !== undefined && ladder.title.trim() !== '') head += `  title ${text(ladder.title)}\n`;
  const declared = new Array<string | undefined>(columns.length);
  let declaredLength = 0;
  let body = '';
  const finish = (): string => head + declared.join('') + body;

  const cutNote = (from: number): string => {
    const left = { segment: 0, state: 0, note: 0 };
    for (let i = from; i < rows.length; i++) left[rows[i]!.kind]++;
    const what = [`${left.segment} segments`, `${left.state} states`, `${left.note} calls and notes`].join(', ');
    const shown = declared.flatMap((d, i) => (d === undefined ? [] : [i]));
    const over = shown.length > 0 ? `${id(shown[0]!)},${id(shown[shown.length - 1]!)}` : `${id(0)},${id(last)}`;
    return `  Note over ${over}: ${text(`cut here: the last ${rows.length - from} rows (${what}) would make the diagram longer than Mermaid draws`)}\n`;
  };
  const room = MERMAID_MAX_CHARS - cutNote(0).length - 40; // the cut note's counts only get shorter
  /** Adds the lines of rows[from…] unless they, and the hosts they bring in, would not fit. */
  const put = (lines: string[], from: number, hosts: number[]): boolean => {
    const chunk = lines.join('\n') + '\n';
    const fresh = [...new Set(hosts)].filter((h) => declared[h] === undefined);
    const declarations = fresh.map(declaration);
    const added = chunk.length + declarations.reduce((n, d) => n + d.length, 0);
    if (head.length + declaredLength + body.length + added > room) {
      body += cutNote(from);
      return false;
    }
    fresh.forEach((h, k) => (declared[h] = declarations[k]));
    declaredLength += added - chunk.length;
    body += chunk;
    return true;
  };

  for (let i = 0; i < rows.length; ) {
    const row = rows[i]!;
    if (row.kind === 'segment') {
      const run = bulkRunAt(rows, i);
      const end = run ? run.end : i + 1;
      const lines = run ? bulkMessages(run.data, run.acks, conn(row), message) : [message(row, `t=${formatTime(row.t)} ${segmentLabel(row, showConn)}`)];
      if (!put(lines, i, [row.from, row.to])) return finish();
      i = end;
      continue;
    }
    const hosts = row.column === null ? [0, last] : [row.column];
    const note = row.kind === 'state' ? stateLabel(row) : row.text;
    if (!put([`  Note ${noteAt(row.column)}: ${text(`t=${formatTime(row.t)} ${note}`)}`], i, hosts)) return finish();
    i++;
  }
  return finish();
}

/** The data of a bulk run as one message, and its ACKs as another. */
function bulkMessages(data: LadderSegment[], acks: LadderSegment[], conn: string, message: (seg: LadderSegment, body: string) => string): string[] {
  const first = data[0]!;
  const lastData = data[data.length - 1]!;
  const sent = data.reduce((n, s) => n + s.len, 0);
  const span = (segs: LadderSegment[]): string => `t=${formatTime(segs[0]!.t)}…${formatTime(segs[segs.length - 1]!.t)}`;
  const lines = [message(first, `${span(data)} ${conn}data ×${data.length}, ${byteCount(sent)}, seq=${first.seq}…${lastData.seq + lastData.len}`)];
  if (acks.length > 0) {
    const a = acks[0]!;
    const z = acks[acks.length - 1]!;
    lines.push(message(a, `${span(acks)} ${conn}ACK ×${acks.length}, ack=${a.ack ?? '-'}…${z.ack ?? '-'}`));
  }
  return lines;
}
