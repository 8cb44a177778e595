import { describe, expect, it } from 'vitest';
import { renderLadderSvg, type Ladder, type LadderSegment } from '../../harness/report/index.js';
import { abortiveClose, handshakeAndClose, lostFinalAck, threeColumns } from './fixtures.js';
import { bySelector, child, findAll, parseXml, textOf, type XmlElement } from './xml.js';

const fixtures: [string, () => Ladder][] = [
  ['handshake and close', handshakeAndClose],
  ['lost final ACK', lostFinalAck],
  ['abortive close', abortiveClose],
  ['three columns', threeColumns],
];

function seg(from: number, to: number, flags: string, more: Partial<LadderSegment> = {}): LadderSegment {
  return { kind: 'segment', t: 0.5, from, to, flags, seq: 1, ack: 1, len: 0, ...more };
}

function parse(ladder: Ladder, opts?: Parameters<typeof renderLadderSvg>[1]): XmlElement {
  return parseXml(renderLadderSvg(ladder, opts));
}

const segments = (root: XmlElement): XmlElement[] => findAll(root, bySelector('g', 'segment'));
const lineOf = (g: XmlElement): XmlElement => child(g, 'line')!;
const num = (el: XmlElement, attr: string): number => Number(el.attrs[attr]);

describe('renderLadderSvg: document', () => {
  it.each(fixtures)('is well-formed XML with an svg root (%s)', (_, make) => {
    const root = parse(make());
    expect(root.name).toBe('svg');
    expect(root.attrs['xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs['font-family']).toBe('monospace');
    expect(num(root, 'width')).toBeGreaterThan(0);
    expect(root.attrs['viewBox']).toBe(`0 0 ${root.attrs['width']} ${root.attrs['height']}`);
  });

  it.each(fixtures)('has exactly one g.segment per segment row (%s)', (_, make) => {
    const ladder = make();
    expect(segments(parse(ladder))).toHaveLength(ladder.rows.filter((r) => r.kind === 'segment').length);
  });

  it('is standalone: no scripts, stylesheets, external references or web fonts', () => {
    const svg = renderLadderSvg(threeColumns());
    expect(svg).not.toMatch(/<script|<style|<image|<foreignObject|@import|@font-face|xlink:href|href=/);
    expect(svg.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('is deterministic', () => {
    expect(renderLadderSvg(handshakeAndClose())).toBe(renderLadderSvg(handshakeAndClose()));
  });

  it('uses the ladder title, or the one given', () => {
    const own = parse(handshakeAndClose());
    expect(textOf(findAll(own, bySelector('text', 'title'))[0]!)).toBe('active close');
    const given = parse(handshakeAndClose(), { title: 'case 7' });
    expect(textOf(child(given, 'title')!)).toBe('case 7');
    expect(findAll(parse(abortiveClose()), bySelector('text', 'title'))).toHaveLength(0);
  });

  it('draws one heading and lifeline per column', () => {
    const root = parse(threeColumns());
    const columns = findAll(root, bySelector('g', 'column'));
    expect(columns.map((c) => textOf(child(c, 'text')!))).toEqual(['raw', 'server', 'observer']);
    expect(findAll(root, bySelector('line', 'lifeline'))).toHaveLength(3);
  });

  it('refers only to markers it defines, with ids unique to the ladder', () => {
    const svg = renderLadderSvg(threeColumns());
    const root = parseXml(svg);
    const ids = findAll(root, (el) => el.attrs['id'] !== undefined).map((el) => el.attrs['id']!);
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...svg.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1]);
    for (const ref of refs) expect(ids).toContain(ref);
    const otherIds = findAll(parse(handshakeAndClose()), (el) => el.attrs['id'] !== undefined).map((el) => el.attrs['id']);
    for (const id of otherIds) expect(ids).not.toContain(id);
    expect(renderLadderSvg(threeColumns(), { idPrefix: 'fig3' })).toContain('id="fig3-head-syn"');
  });
});

describe('renderLadderSvg: segments', () => {
  const ladder = handshakeAndClose();
  const root = parse(ladder);
  const groups = segments(root);
  const lifelines = findAll(root, bySelector('line', 'lifeline')).map((l) => num(l, 'x1'));

  it('runs each arrow from the sender lifeline to the receiver, sloping down, with an arrowhead', () => {
    const rows = ladder.rows.filter((r): r is LadderSegment => r.kind === 'segment');
    groups.forEach((g, i) => {
      const line = lineOf(g);
      expect(num(line, 'x1')).toBe(lifelines[rows[i]!.from]);
      expect(num(line, 'x2')).toBe(lifelines[rows[i]!.to]);
      expect(num(line, 'y2')).toBeGreaterThan(num(line, 'y1'));
      expect(line.attrs['marker-end']).toMatch(/^url\(#.+\)$/);
    });
  });

  it('labels the arrow above it and keeps the frame number', () => {
    const syn = groups[0]!;
    expect(syn.attrs['data-frame']).toBe('1');
    const label = child(syn, 'text')!;
    expect(textOf(label)).toBe('SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7>');
    expect(num(label, 'y')).toBeLessThan(num(lineOf(syn), 'y1'));
  });

  it('gives every segment a title with the full details', () => {
    const title = textOf(child(groups[1]!, 'title')!);
    expect(title).toContain('server → client');
    expect(title).toContain('t=0.001 s');
    expect(title).toContain('frame 2');
    expect(title).toContain('flags SYN ACK');
    expect(title).toContain('seq=0 ack=1 len=0 win=65160');
    expect(title).toContain('options mss 1460,sackOK,ts,nop,wscale 7');
  });

  it('colours SYN, FIN and RST differently', () => {
    const colour = (flags: string): string => lineOf(segments(parse({ ...ladder, rows: [seg(0, 1, flags)] }))[0]!).attrs['stroke']!;
    const all = ['SYN', 'FIN ACK', 'RST', 'ACK'].map(colour);
    expect(new Set(all).size).toBe(4);
  });

  it('spaces rows evenly, whatever the gaps in time', () => {
    const times = findAll(root, bySelector('text', 'time'));
    expect(times.map(textOf)).toEqual(ladder.rows.map((r) => r.t.toFixed(3)));
    const steps = new Set(times.slice(1).map((t, i) => num(t, 'y') - num(times[i]!, 'y')));
    expect(steps.size).toBe(1);
  });
});

describe('renderLadderSvg: marks', () => {
  const ladder = lostFinalAck();
  const root = parse(ladder);
  const [dropped, held, plain] = segments(root) as [XmlElement, XmlElement, XmlElement];
  const lifelines = findAll(root, bySelector('line', 'lifeline')).map((l) => num(l, 'x1'));

  it('stops a dropped segment short, dashed, with an ✕ and no arrowhead', () => {
    const line = lineOf(dropped);
    expect(num(line, 'x2')).toBeLessThan(lifelines[1]! - 20);
    expect(line.attrs['stroke-dasharray']).toBeDefined();
    expect(line.attrs['marker-end']).toBeUndefined();
    expect(findAll(dropped, bySelector('path', 'drop-mark'))).toHaveLength(1);
    expect(dropped.attrs['data-marks']).toBe('dropped');
  });

  it('draws a held segment in another stroke style, with its note', () => {
    const line = lineOf(held);
    expect(line.attrs['stroke-dasharray']).toBeDefined();
    expect(line.attrs['stroke-dasharray']).not.toBe(lineOf(dropped).attrs['stroke-dasharray']);
    expect(textOf(child(held, 'text')!)).toContain('[held 12 ms]');
    expect(lineOf(plain).attrs['stroke-dasharray']).toBeUndefined();
  });

  it('colours retransmissions, duplicates and injected segments apart from ordinary ones', () => {
    const marked: Ladder = {
      columns: ladder.columns,
      rows: [
        seg(0, 1, 'ACK'),
        seg(0, 1, 'ACK', { marks: ['retransmission'] }),
        seg(0, 1, 'ACK', { marks: ['duplicated'] }),
        seg(0, 1, 'ACK', { marks: ['injected'] }),
      ],
    };
    const [ordinary, retx, dup, injected] = segments(parse(marked)).map((g) => lineOf(g).attrs['stroke']);
    expect(retx).not.toBe(ordinary);
    expect(dup).not.toBe(ordinary);
    expect(injected).not.toBe(ordinary);
    expect(injected).not.toBe(retx);
  });

  it('writes a note without a column centred between the outer lifelines', () => {
    const note = findAll(root, bySelector('g', 'note'))[0]!;
    const text = child(note, 'text')!;
    expect(textOf(text)).toBe('wire drops the final ACK');
    expect(num(text, 'x')).toBeCloseTo((lifelines[0]! + lifelines[1]!) / 2, 1);
    expect(text.attrs['text-anchor']).toBe('middle');
  });
});

describe('renderLadderSvg: states', () => {
  it('boxes each state beside its column: left of the first, right of the others', () => {
    const ladder = threeColumns();
    const root = parse(ladder);
    const lifelines = findAll(root, bySelector('line', 'lifeline')).map((l) => num(l, 'x1'));
    const states = findAll(root, bySelector('g', 'state'));
    expect(states).toHaveLength(ladder.rows.filter((r) => r.kind === 'state').length);
    for (const g of states) {
      const rect = child(g, 'rect')!;
      const column = Number(g.attrs['data-column']);
      if (column === 0) expect(num(rect, 'x') + num(rect, 'width')).toBeLessThan(lifelines[0]!);
      else expect(num(rect, 'x')).toBeGreaterThan(lifelines[column]!);
    }
    expect(textOf(child(states[0]!, 'text')!)).toBe('listener :8080 LISTEN');
    const handshake = findAll(parse(handshakeAndClose()), bySelector('g', 'state'));
    const sent = handshake.find((g) => g.attrs['data-state'] === 'SYN_SENT')!;
    expect(num(child(sent, 'rect')!, 'x') + num(child(sent, 'rect')!, 'width')).toBeLessThan(
      findAll(parse(handshakeAndClose()), bySelector('line', 'lifeline')).map((l) => num(l, 'x1'))[0]!,
    );
  });
});

describe('renderLadderSvg: escaping', () => {
  const nasty: Ladder = {
    title: 'a < b && c > "d"',
    columns: [{ name: '<client>', address: "o'brien & co" }, { name: 'server&' }],
    rows: [
      { kind: 'state', t: 0, column: 0, socket: '<sock>', state: 'SYN_SENT' },
      seg(0, 1, 'SYN', { options: 'mss 1460,<&>', note: '</g><script>alert(1)</script>' }),
      { kind: 'note', t: 1, column: null, text: ']]> & <!-- not a comment -->' },
      { kind: 'note', t: 1, column: 1, text: 'bad\u0000char\u001b' },
    ],
  };
  const svg = renderLadderSvg(nasty);
  const root = parseXml(svg);

  it('stays well-formed and keeps the text as written', () => {
    expect(textOf(child(root, 'title')!)).toBe('a < b && c > "d"');
    expect(root.attrs['aria-label']).toBe('a < b && c > "d"');
    const label = textOf(child(segments(root)[0]!, 'text')!);
    expect(label).toBe('SYN seq=1 ack=1 <mss 1460,<&>> [</g><script>alert(1)</script>]');
    const columns = findAll(root, bySelector('g', 'column'));
    expect(textOf(columns[0]!)).toBe("<client>o'brien & co");
    expect(textOf(findAll(root, bySelector('g', 'state'))[0]!)).toContain('<sock> SYN_SENT');
    expect(textOf(findAll(root, bySelector('g', 'note'))[0]!)).toBe(']]> & <!-- not a comment -->');
  });

  it('lets no markup through', () => {
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<client>');
    expect(svg).not.toContain('<!--');
    expect(findAll(root, (el) => el.name === 'script')).toHaveLength(0);
  });

  it('drops characters XML cannot carry', () => {
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(textOf(findAll(root, bySelector('g', 'note'))[1]!)).toBe('bad char ');
  });
});

describe('renderLadderSvg: errors', () => {
  it('rejects ladders it cannot draw', () => {
    expect(() => renderLadderSvg({ columns: [{ name: 'a' }], rows: [] })).toThrow(RangeError);
    expect(() => renderLadderSvg({ columns: [{ name: 'a' }, { name: 'b' }], rows: [seg(0, 5, 'SYN')] })).toThrow(RangeError);
  });
});
