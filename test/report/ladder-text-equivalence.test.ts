/**
 * The fast renderLadderText must draw exactly what the cell-by-cell renderer it
 * replaced drew: every character, every escape code. ladder-text-reference.ts is a
 * frozen copy of that renderer; it is the oracle here and nowhere else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderLadderText, type Ladder, type LadderColumn, type LadderRow, type SegmentMark } from '../../harness/report/index.js';
import * as labels from '../../harness/report/ladder-label.js';
import { abortiveClose, handshakeAndClose, lostFinalAck, threeColumns } from './fixtures.js';
import { referenceLabels, referenceRenderLadderText } from './ladder-text-reference.js';
import { rng } from '../rng.js';

/** Lines that differ, for a readable failure instead of two 5 MB strings. */
function firstDifference(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1}:\n  got      ${JSON.stringify(a[i])}\n  expected ${JSON.stringify(e[i])}`;
  }
  return 'same lines, different text';
}

function expectSame(ladder: Ladder, opts: { color?: boolean; width?: number }): void {
  expect(firstDifference(renderLadderText(ladder, opts), referenceRenderLadderText(ladder, opts))).toBeUndefined();
}

const FLAGS = ['SYN', 'SYN ACK', 'ACK', 'PSH ACK', 'FIN ACK', 'RST', 'RST ACK', 'FIN PSH ACK', ''];
const MARKS: SegmentMark[] = ['dropped', 'held', 'delayed', 'duplicated', 'retransmission', 'out-of-order', 'injected'];
const STATES = ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED', 'SYN_RECV'];

/**
 * A long two-host ladder shaped like `tcpladder show` output on a busy capture:
 * several connections (so labels carry #N), handshakes, data both ways, options,
 * retransmissions, drops, notes, state changes on both sides and banners.
 */
function bigLadder(rowCount: number, seed: number): Ladder {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rows: LadderRow[] = [];
  let t = 0;
  for (let i = 0; i < rowCount; i++) {
    t += r() < 0.7 ? 0.0000133 : r() * 3;
    const roll = r();
    if (roll < 0.88) {
      const from = r() < 0.5 ? 0 : 1;
      const flags = i % 500 === 0 ? 'SYN' : pick(FLAGS);
      const marks: SegmentMark[] = [];
      if (r() < 0.05) marks.push(pick(MARKS));
      if (r() < 0.02) marks.push('dropped');
      rows.push({
        kind: 'segment',
        t,
        from,
        to: 1 - from,
        flags,
        seq: Math.floor(r() * 2 ** 32),
        ack: r() < 0.1 ? null : Math.floor(r() * 2 ** 32),
        len: r() < 0.5 ? 0 : pick([64, 200, 536, 1448]),
        win: r() < 0.9 ? Math.floor(r() * 65536) : undefined,
        ...(flags.includes('SYN') || r() < 0.01 ? { options: 'mss 1460,sackOK,ts,nop,wscale 7' } : {}),
        ...(marks.length > 0 ? { marks } : {}),
        ...(r() < 0.01 ? { note: r() < 0.5 ? 'keep-alive' : 'previous segment not captured' } : {}),
        frame: i + 1,
        conn: 1 + Math.floor(i / 700),
      });
    } else if (roll < 0.96) {
      rows.push({ kind: 'state', t, column: r() < 0.5 ? 0 : 1, state: pick(STATES), ...(r() < 0.2 ? { socket: 'listener :443' } : {}) });
    } else {
      rows.push({ kind: 'note', t, column: r() < 0.5 ? null : pick([0, 1]), text: r() < 0.5 ? 'wire drops the segment' : 'timer fires' });
    }
  }
  return {
    title: 'connection 1: 10.0.0.1:40000 ↔ [fd00::ffff]:443',
    columns: [{ name: '10.0.0.1:40000' }, { name: '[fd00::ffff]:443' }],
    rows,
  };
}

describe('renderLadderText equals the renderer it replaced', () => {
  it('on the fixture ladders, with and without colour, at several widths', () => {
    for (const ladder of [handshakeAndClose(), lostFinalAck(), abortiveClose(), threeColumns()]) {
      for (const width of [undefined, 20, 60, 80, 100, 160]) {
        for (const color of [false, true]) expectSame(ladder, width === undefined ? { color } : { color, width });
      }
    }
  });

  it('on a large generated ladder (20 000 rows), with and without colour', () => {
    const ladder = bigLadder(20_000, 1);
    expectSame(ladder, {});
    expectSame(ladder, { color: false });
    expectSame(ladder, { color: true });
    expectSame(ladder, { color: true, width: 140 });
  });

  it('on an empty ladder and a one-row ladder', () => {
    const columns = [{ name: 'a' }, { name: 'b' }];
    for (const color of [false, true]) {
      expectSame({ columns, rows: [] }, { color });
      expectSame({ title: 'x', columns, rows: [{ kind: 'note', t: 0, column: null, text: '' }] }, { color });
    }
  });
});

// ── random ladders: odd text, many columns, every kind of row ───────────────

/** Text that stresses layout: wide and astral characters, control characters, blanks at the ends. */
const oddText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', ' ', '   ', 'a ', ' a', '\n', '\t\x1b[31m', '✕│┼', '𝔸𝔹ℂ', 'e\u0301', '\u00a0', '\ud800', '\udc00x', 'a  b  '),
);

const ladderArb = fc.integer({ min: 2, max: 5 }).chain((n) => {
  const column = fc.integer({ min: 0, max: n - 1 });
  const time = fc.oneof(
    fc.double({ min: 0, max: 100_000, noNaN: true }),
    fc.constantFrom(0, -0.5, -1234.5678, 0.0005, 0.0015, 1e21, Number.NaN, Number.POSITIVE_INFINITY),
  );
  const segment = fc
    .record({
      t: time,
      from: column,
      to: column,
      flags: fc.oneof(fc.constantFrom(...FLAGS, 'syn/ack', ' FIN ', 'RSTX'), oddText),
      seq: fc.integer(),
      ack: fc.option(fc.integer(), { nil: null }),
      len: fc.nat(),
      win: fc.option(fc.nat(), { nil: undefined }),
      options: fc.option(oddText, { nil: undefined }),
      marks: fc.option(fc.subarray(MARKS), { nil: undefined }),
      note: fc.option(oddText, { nil: undefined }),
      conn: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .filter((s) => s.from !== s.to)
    .map((s): LadderRow => {
      const row: LadderRow = { kind: 'segment', t: s.t, from: s.from, to: s.to, flags: s.flags, seq: s.seq, ack: s.ack, len: s.len };
      if (s.win !== undefined) row.win = s.win;
      if (s.options !== undefined) row.options = s.options;
      if (s.marks !== undefined) row.marks = s.marks;
      if (s.note !== undefined) row.note = s.note;
      if (s.conn !== undefined) row.conn = s.conn;
      return row;
    });
  const state = fc.record({ t: time, column, state: oddText, socket: fc.option(oddText, { nil: undefined }) }).map(
    (s): LadderRow => ({ kind: 'state', t: s.t, column: s.column, state: s.state, ...(s.socket !== undefined ? { socket: s.socket } : {}) }),
  );
  const note = fc
    .record({ t: time, column: fc.option(column, { nil: null }), text: oddText })
    .map((s): LadderRow => ({ kind: 'note', t: s.t, column: s.column, text: s.text }));
  const col = fc
    .record({ name: oddText, address: fc.option(oddText, { nil: undefined }) })
    .map((c): LadderColumn => (c.address !== undefined ? { name: c.name, address: c.address } : { name: c.name }));
  return fc.record({
    title: fc.option(oddText, { nil: undefined }),
    columns: fc.array(col, { minLength: n, maxLength: n }),
    rows: fc.array(fc.oneof({ weight: 3, arbitrary: segment }, state, note), { maxLength: 40 }),
  });
});

/** LADDER_FUZZ_RUNS=N runs N random ladders from a fresh seed instead of the fixed 3000. */
const fuzzRuns = Number(process.env.LADDER_FUZZ_RUNS ?? 0);

describe('renderLadderText equals the renderer it replaced on random ladders', () => {
  it('with and without colour, at random widths', { timeout: fuzzRuns > 0 ? 0 : undefined }, () => {
    fc.assert(
      fc.property(ladderArb, fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), fc.boolean(), (raw, width, color) => {
        const ladder: Ladder = { columns: raw.columns, rows: raw.rows };
        if (raw.title !== undefined) ladder.title = raw.title;
        const opts = width === undefined ? { color } : { color, width };
        expect(firstDifference(renderLadderText(ladder, opts), referenceRenderLadderText(ladder, opts))).toBeUndefined();
      }),
      fuzzRuns > 0 ? { numRuns: fuzzRuns } : { numRuns: 3000, seed: 20240521 },
    );
  });
});

describe('the label helpers equal the ones they replaced', () => {
  it('formatTime is toFixed(3), ties and near ties included', () => {
    const check = (t: number): void => {
      if (labels.formatTime(t) !== t.toFixed(3)) expect(labels.formatTime(t), `t = ${t}`).toBe(t.toFixed(3));
    };
    // every millisecond and half millisecond up to 20 s, and their neighbouring doubles
    for (let ms = 0; ms <= 20_000; ms++) {
      for (const t of [ms / 1000, (ms + 0.5) / 1000, ms * 0.001, (ms + 0.5) * 0.001, ms / 1000 + 0.0005]) {
        check(t);
        check(nextUp(t));
        check(nextDown(t));
      }
    }
    for (const t of [0, -0, -0.0004, -0.0005, -1.5, 0.0005, 0.0015, 1.0005, 2147483647.9995, 2147483648, 1e20, 1e21, 1e300, Number.MIN_VALUE, Number.NaN, Infinity, -Infinity]) {
      check(t);
    }
    fc.assert(fc.property(fc.double(), (t) => void check(t)), { numRuns: 50_000 });
    fc.assert(fc.property(fc.double({ min: 0, max: 2 ** 31 }), (t) => void check(t)), { numRuns: 50_000 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 41 }), fc.integer({ min: -4, max: 4 }), (ms, ulps) => {
      let t = (ms + 0.5) / 1000;
      for (let i = 0; i < Math.abs(ulps); i++) t = ulps > 0 ? nextUp(t) : nextDown(t);
      check(t);
    }), { numRuns: 50_000 });
  });

  it('sanitize, cellWidth, flagKind, segmentLabel (and its width) and stateLabel say what they said', () => {
    fc.assert(
      fc.property(fc.oneof(oddText, fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 })), (s) => {
        expect(labels.sanitize(s)).toBe(referenceLabels.sanitize(s));
        expect(labels.cellWidth(s)).toBe(referenceLabels.cellWidth(s));
        expect(labels.flagKind(s)).toBe(referenceLabels.flagKind(s));
      }),
      { numRuns: 20_000, seed: 7 },
    );
    fc.assert(
      fc.property(ladderArb, (ladder) => {
        expect(labels.showsConnections(ladder)).toBe(referenceLabels.showsConnections(ladder));
        for (const row of ladder.rows) {
          if (row.kind === 'segment') {
            for (const showConn of [false, true]) {
              const expected = referenceLabels.segmentLabel(row, showConn);
              expect(labels.segmentLabel(row, showConn)).toBe(expected);
              const cells = { width: -1 };
              expect(labels.measuredSegmentLabel(row, showConn, cells)).toBe(expected);
              expect(cells.width).toBe(referenceLabels.cellWidth(expected));
            }
          } else if (row.kind === 'state') {
            expect(labels.stateLabel(row)).toBe(referenceLabels.stateLabel(row));
          }
        }
      }),
      { numRuns: 2000, seed: 11 },
    );
  });

  it('validateLadder rejects what it rejected, with the same message', () => {
    const outcome = (f: () => void): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const index = fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(0.5, Number.NaN, Infinity));
    const row = fc.oneof(
      fc.record({ from: index, to: index }).map((r): LadderRow => ({ kind: 'segment', t: 0, from: r.from, to: r.to, flags: 'ACK', seq: 0, ack: 0, len: 0 })),
      fc.record({ column: index }).map((r): LadderRow => ({ kind: 'state', t: 0, column: r.column, state: 'X' })),
      fc.record({ column: fc.option(index, { nil: null }) }).map((r): LadderRow => ({ kind: 'note', t: 0, column: r.column, text: 'x' })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.array(row, { maxLength: 6 }), (n, rows) => {
        const ladder: Ladder = { columns: Array.from({ length: n }, (_, i) => ({ name: `h${i}` })), rows };
        expect(outcome(() => labels.validateLadder(ladder))).toBe(outcome(() => referenceLabels.validateLadder(ladder)));
      }),
      { numRuns: 5000, seed: 13 },
    );
  });
});

/** The next double above / below a finite t. */
function nextUp(t: number): number {
  if (Number.isNaN(t) || t === Infinity) return t;
  if (t === 0) return Number.MIN_VALUE;
  const b = new Float64Array([t]);
  const u = new BigInt64Array(b.buffer);
  u[0] = u[0]! + (t > 0 ? 1n : -1n);
  return b[0]!;
}

function nextDown(t: number): number {
  return -nextUp(-t);
}
