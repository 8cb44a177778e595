import { describe, expect, it } from 'vitest';
import { renderLadderText, type Ladder, type LadderRow, type LadderSegment } from '../../harness/report/index.js';
import { abortiveClose, handshakeAndClose, lostFinalAck, threeColumns } from './fixtures.js';

const BAR_GLYPHS = new Set(['│', '├', '┤', '┼']);

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

interface Drawn {
  /** one line per ladder row, as code points */
  rows: string[][];
  /** every line from the first bar line to the last */
  body: string[][];
  /** bar positions, read from the first bar line */
  bars: number[];
}

/** Splits a rendered ladder into heading and body and finds the bars. */
function drawn(ladder: Ladder, text: string): Drawn {
  const lines = stripAnsi(text).replace(/\n$/, '').split('\n').map((line) => [...line]);
  const headings =
    (ladder.title !== undefined ? 1 : 0) + 1 + (ladder.columns.some((c) => c.address !== undefined) ? 1 : 0);
  const body = lines.slice(headings);
  const bars = body[0]!.flatMap((ch, i) => (ch === '│' ? [i] : []));
  expect(body.length).toBe(ladder.rows.length + 2);
  return { rows: body.slice(1, -1), body, bars };
}

const str = (cells: string[]): string => cells.join('');

function rowLine(ladder: Ladder, d: Drawn, pred: (row: LadderRow) => boolean): string {
  const index = ladder.rows.findIndex(pred);
  expect(index).toBeGreaterThanOrEqual(0);
  return str(d.rows[index]!);
}

const segmentWith = (flags: string, seq?: number) => (row: LadderRow): boolean =>
  row.kind === 'segment' && row.flags === flags && (seq === undefined || row.seq === seq);

function seg(from: number, to: number, flags: string, more: Partial<LadderSegment> = {}): LadderSegment {
  return { kind: 'segment', t: 0.001, from, to, flags, seq: 1, ack: 1, len: 0, ...more };
}

function twoHosts(rows: LadderRow[]): Ladder {
  return { columns: [{ name: 'client' }, { name: 'server' }], rows };
}

function expectAligned(ladder: Ladder, text: string): void {
  const d = drawn(ladder, text);
  expect(d.bars).toHaveLength(ladder.columns.length);
  d.body.forEach((line) => {
    for (const at of d.bars) expect(BAR_GLYPHS.has(line[at] ?? ''), `bar at ${at} in "${str(line)}"`).toBe(true);
    const extra = line.flatMap((ch, i) => (BAR_GLYPHS.has(ch) && !d.bars.includes(i) ? [i] : []));
    expect(extra, `stray bar in "${str(line)}"`).toEqual([]);
  });
}

describe('renderLadderText: handshake and four-way close', () => {
  const ladder = handshakeAndClose();
  const text = renderLadderText(ladder);
  const d = drawn(ladder, text);
  const [left, right] = d.bars as [number, number];

  it('draws rightward arrows from the client and leftward ones from the server', () => {
    const syn = rowLine(ladder, d, segmentWith('SYN'));
    expect(syn[left]).toBe('├');
    expect(syn.slice(right - 1, right + 1)).toBe('>│');
    const synAck = rowLine(ladder, d, segmentWith('SYN ACK'));
    expect(synAck.slice(left, left + 2)).toBe('│<');
    expect(synAck[right]).toBe('┤');
    expect(synAck).not.toContain('─>');
  });

  it('labels arrows with flags, relative numbers and options, leaving out a null ack and zero len', () => {
    const syn = rowLine(ladder, d, segmentWith('SYN'));
    expect(syn).toContain(' SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7> ');
    expect(syn).not.toContain('ack=');
    expect(syn).not.toContain('len=');
    expect(rowLine(ladder, d, segmentWith('FIN ACK', 1))).toContain(' FIN ACK seq=1 ack=1 ');
  });

  it('writes each state beside its column on its own row', () => {
    ladder.rows.forEach((row, i) => {
      if (row.kind !== 'state') return;
      const line = str(d.rows[i]!);
      const label = row.socket === undefined ? row.state : `${row.socket} ${row.state}`;
      if (row.column === 0) expect(line.slice(left - label.length - 1, left + 1)).toBe(`${label} │`);
      else expect(line.slice(right, right + 2 + label.length)).toBe(`│ ${label}`);
      expect(line).not.toContain('─');
    });
  });

  it('shows the states in the order they change, between the arrows', () => {
    const leftOfClient = d.rows.map((line) => str(line.slice(0, left)).trim().split(/\s+/).slice(1).join(' '));
    const rightOfServer = d.rows.map((line) => str(line.slice(right + 1)).trim());
    const arrows = d.rows.map((line) => (line.includes('├') ? '>' : line.includes('┤') ? '<' : ''));
    const story = d.rows.map((_, i) => leftOfClient[i] || arrows[i] || rightOfServer[i]);
    expect(story).toEqual([
      'listener :8080 LISTEN',
      'SYN_SENT', '>', 'SYN_RECV', '<',
      'ESTABLISHED', '>', 'ESTABLISHED',
      'FIN_WAIT_1', '>', 'CLOSE_WAIT', '<', 'FIN_WAIT_2',
      'LAST_ACK', '<', 'TIME_WAIT', '>', 'CLOSED',
    ]);
  });

  it('puts the time, with millisecond precision, in the left margin of every row', () => {
    ladder.rows.forEach((row, i) => expect(str(d.rows[i]!).startsWith(row.t.toFixed(3))).toBe(true));
    expect(str(d.rows[0]!).startsWith('0.000 ')).toBe(true);
  });

  it('keeps every bar in place on every body line', () => expectAligned(ladder, text));

  it('centres the headings on the bars', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('active close');
    expect(lines[1]!.indexOf('client') + 3).toBe(left);
    expect(lines[1]!.indexOf('server') + 3).toBe(right);
    expect(lines[2]!.indexOf('198.18.0.1') + 5).toBe(left);
  });

  it('is deterministic and ends in one newline', () => {
    expect(renderLadderText(handshakeAndClose())).toBe(text);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    expect(text.split('\n').every((line) => line === line.trimEnd())).toBe(true);
  });
});

describe('renderLadderText: marks', () => {
  const ladder = lostFinalAck();
  const text = renderLadderText(ladder);
  const d = drawn(ladder, text);
  const right = d.bars[1]!;

  it('ends a dropped segment in ✕ short of the receiver', () => {
    const line = rowLine(ladder, d, (r) => r.kind === 'segment' && r.marks?.includes('dropped') === true);
    expect(line).toMatch(/─✕ +│$/);
    expect(line.indexOf('✕')).toBeLessThan(right - 1);
    expect(line).not.toContain('>');
    expect(line).not.toContain('[dropped]');
  });

  it('shows a hold by its note and names the retransmission once', () => {
    const line = rowLine(ladder, d, segmentWith('FIN ACK'));
    expect(line).toContain(' FIN ACK seq=1 ack=2 [retransmission] [held 12 ms] ');
    expect(line).not.toContain('[held]');
  });

  it('names every other mark in the label', () => {
    const marked = twoHosts([
      seg(0, 1, 'ACK', { marks: ['duplicated'] }),
      seg(0, 1, 'ACK', { marks: ['out-of-order'] }),
      seg(1, 0, 'RST', { marks: ['injected'], ack: null }),
      seg(1, 0, 'ACK', { marks: ['delayed'] }),
      seg(1, 0, 'ACK', { marks: ['delayed'], note: 'delayed 30 ms' }),
    ]);
    const lines = drawn(marked, renderLadderText(marked)).rows.map(str);
    expect(lines[0]).toContain('[duplicated]');
    expect(lines[1]).toContain('[out-of-order]');
    expect(lines[2]).toContain('RST seq=1 [injected]');
    expect(lines[3]).toContain('[delayed]');
    expect(lines[4]).toContain('ACK seq=1 ack=1 [delayed 30 ms] ');
  });

  it('centres a note without a column between the bars, keeping them', () => {
    const index = ladder.rows.findIndex((r) => r.kind === 'note');
    const line = str(d.rows[index]!);
    const start = line.indexOf('wire drops the final ACK');
    const middle = start + 'wire drops the final ACK'.length / 2;
    expect(Math.abs(middle - (d.bars[0]! + right) / 2)).toBeLessThanOrEqual(1);
    expectAligned(ladder, text);
  });

  it('writes RST with the aborting side states and a note beside its column', () => {
    const abort = abortiveClose();
    const a = drawn(abort, renderLadderText(abort));
    expect(rowLine(abort, a, segmentWith('RST ACK'))).toMatch(/├─+ RST ACK seq=1 ack=1 ─+>│$/);
    expect(rowLine(abort, a, (r) => r.kind === 'note')).toMatch(/│ read: ECONNRESET$/);
  });

  it('shows len for data and win when known', () => {
    const data = twoHosts([seg(0, 1, 'PSH ACK', { len: 1448, win: 502 })]);
    expect(renderLadderText(data)).toContain(' PSH ACK seq=1 ack=1 len=1448 win=502 ');
  });

  it('numbers connections only when the ladder shows more than one', () => {
    const one = twoHosts([seg(0, 1, 'SYN', { conn: 1 })]);
    expect(renderLadderText(one)).not.toContain('#1');
    const two = twoHosts([seg(0, 1, 'SYN', { conn: 1 }), seg(0, 1, 'SYN', { conn: 2 })]);
    expect(renderLadderText(two)).toContain(' #2 SYN seq=1');
  });
});

describe('renderLadderText: colour', () => {
  const ladder = twoHosts([
    { kind: 'state', t: 0, column: 0, state: 'SYN_SENT' },
    seg(0, 1, 'SYN', { ack: null }),
    seg(1, 0, 'FIN ACK'),
    seg(0, 1, 'RST'),
    seg(0, 1, 'ACK', { marks: ['dropped'] }),
    { kind: 'note', t: 1, column: null, text: 'gap' },
  ]);

  it('uses no escape codes unless asked', () => {
    expect(renderLadderText(ladder)).not.toContain('\x1b');
    expect(renderLadderText(ladder, { color: false })).not.toContain('\x1b');
  });

  it('colours RST red, SYN green, FIN yellow and dims a dropped segment', () => {
    const lines = renderLadderText(ladder, { color: true }).split('\n').slice(2);
    expect(lines[1]).toContain('\x1b[32m├');
    expect(lines[2]).toContain('\x1b[33m');
    expect(lines[3]).toContain('\x1b[31m');
    expect(lines[4]).toContain('\x1b[2m');
    expect(lines[4]).toContain('✕');
  });

  it('draws the same picture with and without colour', () => {
    expect(stripAnsi(renderLadderText(ladder, { color: true }))).toBe(renderLadderText(ladder));
  });
});

describe('renderLadderText: three and four columns', () => {
  const ladder = threeColumns();
  const text = renderLadderText(ladder);
  const d = drawn(ladder, text);
  const [a, b, c] = d.bars as [number, number, number];

  it('keeps every bar in place', () => expectAligned(ladder, text));

  it('crosses the middle bar on a segment between the outer columns', () => {
    const line = rowLine(ladder, d, (r) => r.kind === 'segment' && r.from === 2 && r.to === 0);
    expect(line[a + 1]).toBe('<');
    expect(line[b]).toBe('┼');
    expect(line[c]).toBe('┤');
    // the label sits in the gap next to the sender
    expect(line.indexOf('SYN seq=0')).toBeGreaterThan(b);
  });

  it('drops a segment crossing columns short of its receiver', () => {
    const line = rowLine(ladder, d, (r) => r.kind === 'segment' && r.from === 0 && r.to === 2);
    expect(line[b]).toBe('┼');
    expect(line.slice(c - 4, c + 1)).toBe('✕   │');
  });

  it('writes a middle column state right of its bar', () => {
    const line = rowLine(ladder, d, (r) => r.kind === 'state' && r.state === 'SYN_RECV');
    expect(line.slice(b, b + 11)).toBe('│ SYN_RECV ');
  });

  it('handles four columns', () => {
    const four: Ladder = {
      columns: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }],
      rows: [
        seg(0, 3, 'SYN'),
        seg(3, 1, 'SYN ACK', { marks: ['dropped'] }),
        seg(2, 1, 'ACK', { options: 'nop,nop,ts val 1 ecr 2' }),
        { kind: 'state', t: 0.1, column: 2, state: 'ESTABLISHED' },
        { kind: 'note', t: 0.2, column: null, text: 'middle' },
      ],
    };
    const fourText = renderLadderText(four);
    expectAligned(four, fourText);
    const fd = drawn(four, fourText);
    expect(str(fd.rows[0]!).split('┼')).toHaveLength(3);
    const note = str(fd.rows[4]!);
    expect(note.indexOf('middle')).toBeGreaterThan(fd.bars[1]!);
    expect(note.indexOf('middle')).toBeLessThan(fd.bars[2]!);
  });
});

describe('renderLadderText: width', () => {
  const longest = (text: string): number => Math.max(...text.split('\n').map((l) => [...l].length));

  it('fills about 100 columns by default', () => {
    expect(longest(renderLadderText(abortiveClose()))).toBe(100);
  });

  it('follows the requested width', () => {
    expect(longest(renderLadderText(abortiveClose(), { width: 72 }))).toBe(72);
    expect(longest(renderLadderText(abortiveClose(), { width: 130 }))).toBe(130);
  });

  it('never cuts a label: a long one widens the arrow beyond the width', () => {
    const options = 'mss 1460,sackOK,ts val 4294967295 ecr 4294967295,nop,wscale 14,sack 1:2 3:4 5:6';
    const ladder = twoHosts([seg(0, 1, 'SYN ACK', { options, win: 65535 })]);
    const text = renderLadderText(ladder, { width: 40 });
    expect(text).toContain(`<${options}>`);
    expect(text).toMatch(/├── SYN ACK .*> ──>│/);
    expectAligned(ladder, text);
  });

  it('keeps a long host name clear of its neighbour', () => {
    const ladder: Ladder = {
      columns: [{ name: 'a-very-long-client-name', address: '2001:db8::1' }, { name: 'another-long-server-name' }],
      rows: [seg(0, 1, 'ACK')],
    };
    const text = renderLadderText(ladder, { width: 20 });
    expect(text.split('\n')[0]).toMatch(/a-very-long-client-name +another-long-server-name/);
    expectAligned(ladder, text);
  });
});

describe('renderLadderText: robustness', () => {
  it('turns control characters into spaces so a label cannot break a line', () => {
    const ladder = twoHosts([{ kind: 'note', t: 0, column: 1, text: 'two\nlines\x1b[31m' }]);
    const text = renderLadderText(ladder);
    expect(text).not.toContain('\x1b');
    expectAligned(ladder, text);
    expect(text).toContain('│ two lines [31m');
  });

  it('rejects ladders it cannot draw', () => {
    expect(() => renderLadderText({ columns: [{ name: 'alone' }], rows: [] })).toThrow(RangeError);
    expect(() => renderLadderText(twoHosts([seg(0, 2, 'SYN')]))).toThrow(/column 2/);
    expect(() => renderLadderText(twoHosts([seg(1, 1, 'SYN')]))).toThrow(RangeError);
    expect(() => renderLadderText(twoHosts([{ kind: 'state', t: 0, column: -1, state: 'LISTEN' }]))).toThrow(RangeError);
  });

  it('draws an empty ladder as headings and bars', () => {
    const text = renderLadderText(twoHosts([]));
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
  });
});
