import { describe, expect, it } from 'vitest';
import {
  BULK_RUN,
  MERMAID_MAX_CHARS,
  renderLadderMermaid,
  type Ladder,
  type LadderRow,
  type LadderSegment,
} from '../../harness/report/index.js';
import { handshakeAndClose, lostFinalAck, threeColumns } from './fixtures.js';

const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');
const messages = (text: string): string[] => lines(text).filter((l) => /^ {2}h\d+-/.test(l));

function seg(t: number, from: number, to: number, flags: string, seq: number, ack: number | null, len = 0, more: Partial<LadderSegment> = {}): LadderSegment {
  return { kind: 'segment', t, from, to, flags, seq, ack, len, ...more };
}

function twoHosts(rows: LadderRow[]): Ladder {
  return { columns: [{ name: 'client' }, { name: 'server' }], rows };
}

/** n data segments from the server, each acknowledged by the client. */
function transfer(n: number, t0 = 1, seq0 = 1): LadderRow[] {
  const rows: LadderRow[] = [];
  for (let i = 0; i < n; i++) {
    const seq = seq0 + i * 1448;
    rows.push(seg(t0 + i * 0.001, 1, 0, 'PSH ACK', seq, 1, 1448));
    rows.push(seg(t0 + i * 0.001 + 0.0005, 0, 1, 'ACK', 1, seq + 1448));
  }
  return rows;
}

describe('renderLadderMermaid', () => {
  it('draws participants, messages in order and notes beside their host', () => {
    const text = renderLadderMermaid(handshakeAndClose());
    expect(lines(text).slice(0, 4)).toEqual([
      'sequenceDiagram',
      '  title active close',
      '  participant h0 as client<br/>198.18.0.1',
      '  participant h1 as server<br/>198.18.0.2',
    ]);
    expect(messages(text)).toEqual([
      '  h0->>h1: t=0.001 SYN seq=0 win=64240 #60;mss 1460,sackOK,ts,nop,wscale 7#62;',
      '  h1->>h0: t=0.001 SYN ACK seq=0 ack=1 win=65160 #60;mss 1460,sackOK,ts,nop,wscale 7#62;',
      '  h0->>h1: t=0.002 ACK seq=1 ack=1',
      '  h0->>h1: t=0.010 FIN ACK seq=1 ack=1',
      '  h1->>h0: t=0.011 ACK seq=1 ack=2',
      '  h1->>h0: t=0.020 FIN ACK seq=1 ack=2',
      '  h0->>h1: t=0.021 ACK seq=2 ack=2',
    ]);
    expect(text).toContain('  Note right of h1: t=0.000 listener :8080 LISTEN\n  Note left of h0: t=0.001 SYN_SENT\n  h0->>h1: t=0.001 SYN ');
    expect(text.endsWith('  Note right of h1: t=0.021 CLOSED\n')).toBe(true);
    expect(lines(text)).toHaveLength(4 + handshakeAndClose().rows.length);
  });

  it('draws a dropped segment as a dotted line ending in a cross, a held one dotted, and names the marks', () => {
    const text = renderLadderMermaid(lostFinalAck());
    expect(messages(text)).toEqual([
      '  h0--xh1: t=0.021 ACK seq=2 ack=2',
      '  h1-->>h0: t=0.221 FIN ACK seq=1 ack=2 [retransmission] [held 12 ms]',
      '  h0->>h1: t=0.222 ACK seq=2 ack=2',
    ]);
    expect(text).toContain('  Note over h0,h1: t=0.021 wire drops the final ACK\n');
    expect(text).not.toContain('title');
  });

  it('puts notes over a middle host and over all hosts, and marks injected and duplicated segments', () => {
    const text = renderLadderMermaid(threeColumns());
    expect(text).toContain('  participant h2 as observer');
    expect(text).toContain('  h0->>h1: t=0.001 SYN seq=0 #60;mss 1460#62; [injected]\n');
    expect(text).toContain('  h0--xh2: t=0.004 RST ACK seq=0 ack=1\n');
    expect(text).toContain('  h1->>h2: t=0.005 ACK seq=1 ack=1 [out-of-order] [duplicated]\n');
    expect(text).toContain('  Note over h0,h2: t=0.006 raw peer done\n');
    expect(text).toContain('  Note right of h2: t=0.006 observer\n');
    const middle: Ladder = { ...threeColumns(), rows: [{ kind: 'state', t: 0, column: 1, state: 'LISTEN' }] };
    expect(renderLadderMermaid(middle)).toContain('  Note over h1: t=0.000 LISTEN\n');
  });

  it('writes what Mermaid would read as syntax as entity codes, and control characters as blanks', () => {
    const ladder: Ladder = {
      title: 'wrap: a;b',
      columns: [{ name: 'fd00::1', address: 'a,b@c #1' }, { name: '[fd00::2]:443' }],
      rows: [
        { kind: 'note', t: 0, column: 0, text: 'a;b #c <br> d & e %%{init}%%\nnext\tline' },
        seg(0.5, 0, 1, 'SYN', 0, null, 0, { options: 'x<y>z', note: '50% ; done' }),
      ],
    };
    const text = renderLadderMermaid(ladder);
    expect(lines(text)).toEqual([
      'sequenceDiagram',
      '  title #119;rap: a#59;b',
      '  participant h0 as fd00#58;#58;1<br/>a#44;b#64;c #35;1',
      '  participant h1 as [fd00#58;#58;2]#58;443',
      '  Note left of h0: t=0.000 a#59;b #35;c #60;br#62; d #38; e #37;#37;{init}#37;#37; next line',
      '  h0->>h1: t=0.500 SYN seq=0 #60;x#60;y#62;z#62; [50#37; #59; done]',
    ]);
    // nothing Mermaid reads as syntax is left in a text
    for (const line of lines(text).slice(1)) {
      const body = line.replace(/^ {2}(h\d+(->>|-->>|--x)h\d+:|Note [^:]+:|participant h\d+ as|title)/, '').replace('<br/>', '');
      expect(body.replace(/#\d+;/g, '')).not.toMatch(/[#;<>&%]/);
    }
  });

  it(`draws a run of more than ${BULK_RUN} data segments from one sender as one message, its ACKs as another`, () => {
    const rows: LadderRow[] = [
      seg(0.9, 0, 1, 'PSH ACK', 1, 1, 100),
      ...transfer(1874),
      { kind: 'state', t: 3, column: 1, state: 'FIN_WAIT_1' },
      seg(3, 1, 0, 'FIN ACK', 1 + 1874 * 1448, 1),
    ];
    const text = renderLadderMermaid(twoHosts(rows));
    expect(messages(text)).toEqual([
      '  h0->>h1: t=0.900 PSH ACK seq=1 ack=1 len=100',
      `  h1->>h0: t=1.000…2.873 data ×1874, ${1874 * 1448} bytes (2.7 MB), seq=1…${1 + 1874 * 1448}`,
      `  h0->>h1: t=1.000…2.874 ACK ×1874, ack=1449…${1 + 1874 * 1448}`,
      `  h1->>h0: t=3.000 FIN ACK seq=${1 + 1874 * 1448} ack=1`,
    ]);
    expect(text.length).toBeLessThan(1000);
  });

  it(`draws ${BULK_RUN} data segments in a row one by one, and a run stops at a state, a mark or another connection`, () => {
    expect(messages(renderLadderMermaid(twoHosts(transfer(BULK_RUN))))).toHaveLength(2 * BULK_RUN);
    expect(messages(renderLadderMermaid(twoHosts(transfer(BULK_RUN + 1))))).toHaveLength(2);

    const split = [...transfer(15), { kind: 'state', t: 1.5, column: 0, state: 'X' } as LadderRow, ...transfer(15, 2)];
    expect(messages(renderLadderMermaid(twoHosts(split)))).toHaveLength(60);

    const marked = transfer(60);
    (marked[20] as LadderSegment).marks = ['retransmission'];
    const m = messages(renderLadderMermaid(twoHosts(marked)));
    // 10 data segments and their ACKs one by one, the retransmission, its ACK, then 49 data segments and their ACKs
    expect(m).toHaveLength(20 + 1 + 1 + 2);
    expect(m[20]).toContain('[retransmission]');
    expect(m[22]).toContain('data ×49, ');

    const twoConns = transfer(50).map((r, i) => ({ ...(r as LadderSegment), conn: i < 50 ? 1 : 2 }));
    const c = messages(renderLadderMermaid(twoHosts(twoConns)));
    expect(c).toHaveLength(4);
    expect(c[0]).toMatch(/^ {2}h1->>h0: t=1\.000…1\.024 #35;1 data ×25, 36200 bytes \(36\.2 kB\), seq=1…36201$/);
    expect(c[1]).toMatch(/^ {2}h0->>h1: t=1\.000…1\.024 #35;1 ACK ×25, ack=1449…36201$/);
    expect(c[2]).toMatch(/^ {2}h1->>h0: t=1\.025…1\.049 #35;2 data ×25, /);
  });

  it(`stops at a line's end before ${MERMAID_MAX_CHARS} characters and says what it left out`, () => {
    const rows: LadderRow[] = [];
    for (let i = 0; i < 5000; i++) {
      rows.push(seg(i * 0.001, i % 2, 1 - (i % 2), 'PSH ACK', i, i, 10, { options: 'nop,nop,sack 1:2' }));
      if (i % 10 === 0) rows.push({ kind: 'state', t: i * 0.001, column: 0, state: 'ESTABLISHED' });
    }
    const text = renderLadderMermaid(twoHosts(rows));
    expect(text.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
    expect(text.endsWith('\n')).toBe(true);
    const all = lines(text);
    const cut = all[all.length - 1]!;
    const shown = messages(text).length;
    expect(shown).toBeGreaterThan(300);
    const shownStates = all.filter((l) => l.includes('ESTABLISHED')).length;
    expect(cut).toBe(
      `  Note over h0,h1: cut here: the last ${rows.length - shown - shownStates} rows (${5000 - shown} segments, ${500 - shownStates} states, 0 calls and notes) would make the diagram longer than Mermaid draws`,
    );
    // every line but the note is a whole row, in order
    messages(text).forEach((l, i) => expect(l).toMatch(new RegExp(`^ {2}h${i % 2}->>h${1 - (i % 2)}: t=[\\d.]+ PSH ACK seq=${i} ack=${i} len=10 #60;nop,nop,sack 1:2#62;$`)));
  });

  it('shortens a very long text with an ellipsis', () => {
    const text = renderLadderMermaid(twoHosts([{ kind: 'note', t: 0, column: 1, text: 'x'.repeat(10_000) }]));
    expect(lines(text)).toEqual([
      'sequenceDiagram',
      '  participant h1 as server',
      `  Note right of h1: t=0.000 ${'x'.repeat(500 - 't=0.000 '.length - 1)}…`,
    ]);
  });

  it('declares only the hosts of the rows it draws, in column order, and counts them towards the limit', () => {
    // a capture of 3000 connections to one server: 3001 columns, more than fit
    const columns = [{ name: '10.0.0.2:80' }, ...Array.from({ length: 3000 }, (_, i) => ({ name: `10.0.${i >> 8}.${i & 255}:${40000 + i}` }))];
    const rows: LadderRow[] = [];
    for (let i = 0; i < 3000; i++) {
      rows.push(seg(i, i + 1, 0, 'SYN', 0, null, 0, { conn: i + 1 }));
      rows.push(seg(i + 0.5, 0, i + 1, 'RST ACK', 0, 1, 0, { conn: i + 1 }));
    }
    const text = renderLadderMermaid({ columns, rows });
    expect(text.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
    const declared = lines(text).filter((l) => l.startsWith('  participant '));
    const drawn = messages(text);
    const clients = Math.ceil(drawn.length / 2); // the SYN of the last one may fit without its RST
    expect(clients).toBeGreaterThan(100);
    expect(declared).toHaveLength(1 + clients);
    expect(declared[0]).toBe('  participant h0 as 10.0.0.2#58;80');
    expect(declared[clients]).toMatch(new RegExp(`^ {2}participant h${clients} as 10\\.0\\.`));
    expect(lines(text).pop()).toMatch(new RegExp(`^ {2}Note over h0,h${clients}: cut here: the last ${rows.length - drawn.length} rows`));
  });

  it('refuses a ladder no diagram can show', () => {
    expect(() => renderLadderMermaid({ columns: [{ name: 'a' }], rows: [] })).toThrow(RangeError);
    expect(() => renderLadderMermaid(twoHosts([seg(0, 0, 2, 'SYN', 0, null)]))).toThrow(/column 2 does not exist/);
  });
});
