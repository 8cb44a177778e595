import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseConnections, decodeFrame, encodeFrame, pcapBytes, readCapture, type FlagsSpec } from '../../harness/packet/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

interface Seg {
  /** microseconds since the start */
  t: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: FlagsSpec;
  len?: number;
}

const T0 = 1700000000_000000000n;

function build(segs: Seg[]) {
  return segs.map((s, i) => ({
    n: i + 1,
    time: T0 + BigInt(s.t) * 1000n,
    data: encodeFrame({ ...s, payload: new Uint8Array(s.len ?? 0) }),
  }));
}

function analyse(segs: Seg[]) {
  const frames = build(segs);
  return analyseConnections(frames.map((f) => ({ n: f.n, time: f.time, decoded: decodeFrame(f.data) })));
}

/** A client 10.0.0.1:1000 and a server 10.0.0.2:80 with ISNs 5000 and 9000. */
const C = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1000, dport: 80 };
const S = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 1000 };

function handshake(t: number, cIsn = 5000, sIsn = 9000): Seg[] {
  return [
    { ...C, t, seq: cIsn, flags: 'S' },
    { ...S, t: t + 500, seq: sIsn, ack: cIsn + 1, flags: 'SA' },
    { ...C, t: t + 1000, seq: cIsn + 1, ack: sIsn + 1, flags: 'A' },
  ];
}

describe('analyseConnections', () => {
  it('groups by 4-tuple, orients a = client, and numbers relative to each ISN', () => {
    const other = { src: 'fd00::1', dst: 'fd00::2', sport: 2000, dport: 443 };
    const r = analyse([
      ...handshake(0),
      { ...other, t: 1100, seq: 77, ack: 88, flags: 'PA', len: 10 }, // mid-stream IPv6 connection
      { ...C, t: 1200, seq: 5001, ack: 9001, flags: 'PA', len: 100 },
      { ...S, t: 1300, seq: 9001, ack: 5101, flags: 'A' },
      { ...other, t: 1400, src: 'fd00::2', dst: 'fd00::1', sport: 443, dport: 2000, seq: 88, ack: 87, flags: 'A' },
    ]);
    expect(r.connections).toHaveLength(2);
    const [c1, c2] = r.connections;
    expect(c1).toMatchObject({ id: 1, a: { addr: '10.0.0.1', port: 1000 }, b: { addr: '10.0.0.2', port: 80 }, isn: [5000, 9000], base: [5000, 9000] });
    expect(c1.segments.map((s) => [s.n, s.dir, s.relSeq, s.relAck, s.len])).toEqual([
      [1, 0, 0, null, 0],
      [2, 1, 0, 1, 0],
      [3, 0, 1, 1, 0],
      [5, 0, 1, 1, 100],
      [6, 1, 1, 101, 0],
    ]);
    expect(c2).toMatchObject({ id: 2, a: { addr: 'fd00::1', port: 2000 }, isn: [null, null], base: [76, 87] });
    expect(c2.segments.map((s) => [s.n, s.dir, s.relSeq, s.relAck])).toEqual([
      [4, 0, 1, 1],
      [7, 1, 1, 11],
    ]);
    expect(r.segments.map((s) => [s.index, s.conn])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 1],
      [5, 1],
      [6, 2],
    ]);
  });

  it('takes the receiver of a SYN-ACK as the client when the SYN was not captured', () => {
    const r = analyse(handshake(0).slice(1));
    expect(r.connections[0]).toMatchObject({ a: { addr: '10.0.0.1', port: 1000 }, isn: [null, 9000], base: [5000, 9000] });
    expect(r.segments.map((s) => [s.dir, s.relSeq, s.relAck])).toEqual([
      [1, 0, 1],
      [0, 1, 1],
    ]);
  });

  it('keeps a simultaneous open as one connection whose SYN-ACKs are not retransmissions', () => {
    const r = analyse([
      { ...C, t: 0, seq: 5000, flags: 'S' },
      { ...S, t: 10, seq: 9000, flags: 'S' },
      { ...C, t: 20, seq: 5000, ack: 9001, flags: 'SA' },
      { ...S, t: 30, seq: 9000, ack: 5001, flags: 'SA' },
      { ...S, t: 1_000_000, seq: 9000, ack: 5001, flags: 'SA' }, // the SYN-ACK again: a retransmission
    ]);
    expect(r.connections).toHaveLength(1);
    expect(r.connections[0].isn).toEqual([5000, 9000]);
    expect(r.segments.map((s) => [s.dir, s.relSeq, s.relAck, s.marks])).toEqual([
      [0, 0, null, []],
      [1, 0, null, []],
      [0, 0, 1, []],
      [1, 0, 1, []],
      [1, 0, 1, ['retransmission']],
    ]);
  });

  it('starts a new connection for a SYN with a new ISN, but not for a retransmitted SYN', () => {
    const r = analyse([
      ...handshake(0),
      { ...C, t: 2000, seq: 5001, ack: 9001, flags: 'FA' },
      { ...S, t: 2100, seq: 9001, ack: 5002, flags: 'FA' },
      { ...C, t: 2200, seq: 5002, ack: 9002, flags: 'A' },
      { ...C, t: 3000, seq: 7000, flags: 'S' }, // TIME_WAIT reuse: new ISN
      { ...S, t: 3100, seq: 0, ack: 7001, flags: 'RA' },
      { ...C, t: 4000, seq: 7000, flags: 'S' }, // the same SYN again, after the RST
      { ...C, t: 9000, seq: 8000, flags: 'S' }, // port reuse on a reset connection
    ]);
    expect(r.connections.map((c) => c.segments.map((s) => s.n))).toEqual([[1, 2, 3, 4, 5, 6], [7, 8, 9], [10]]);
    expect(r.connections[0].fin).toEqual([true, true]);
    expect(r.connections[1].rst).toBe(true);
    expect(r.segments[8].retransmission).toBe(true);
    expect(r.segments[5].relAck).toBe(2); // ack = FIN + 1
  });

  it('marks retransmissions, out-of-order segments, keep-alives and gaps', () => {
    const r = analyse([
      ...handshake(0), // iRTT 1 ms
      { ...C, t: 2000, seq: 5001, ack: 9001, flags: 'PA', len: 100 },
      { ...C, t: 2100, seq: 5201, ack: 9001, flags: 'PA', len: 100 }, // 101..201 not captured
      { ...C, t: 2200, seq: 5101, ack: 9001, flags: 'PA', len: 100 }, // fills the hole 0.1 ms later: out of order
      { ...C, t: 60000, seq: 5101, ack: 9001, flags: 'PA', len: 50 }, // overlaps what was seen
      { ...C, t: 61000, seq: 5401, ack: 9001, flags: 'PA', len: 100 }, // 301..401 not captured
      { ...C, t: 90000, seq: 5301, ack: 9001, flags: 'PA', len: 100 }, // fills it 29 ms later: still never seen, out of order
      { ...S, t: 91000, seq: 9000, ack: 5501, flags: 'A' }, // keep-alive: seq = next − 1
      { ...S, t: 92000, seq: 9000, ack: 5501, flags: 'A', len: 1 }, // keep-alive with one byte
      { ...C, t: 93000, seq: 5501, ack: 9001, flags: 'FA' },
      { ...C, t: 99000, seq: 5501, ack: 9001, flags: 'FA' }, // FIN retransmitted
    ]);
    const marks = r.segments.map((s) => s.marks);
    expect(marks.slice(3)).toEqual([
      [],
      ['previous-not-captured'],
      ['out-of-order'],
      ['retransmission'],
      ['previous-not-captured'],
      ['out-of-order'],
      ['keep-alive'],
      ['keep-alive'],
      [],
      ['retransmission'],
    ]);
  });

  it('follows sequence numbers across the 2^32 wrap', () => {
    const r = analyse([
      { ...C, t: 0, seq: 0xffffff00, flags: 'S' },
      { ...S, t: 10, seq: 1, ack: 0xffffff01, flags: 'SA' },
      { ...C, t: 20, seq: 0xffffff01, ack: 2, flags: 'PA', len: 1000 },
      { ...C, t: 30, seq: (0xffffff01 + 1000) >>> 0, ack: 2, flags: 'PA', len: 1000 },
      { ...C, t: 100000, seq: (0xffffff01 + 1000) >>> 0, ack: 2, flags: 'PA', len: 1000 },
      { ...S, t: 40, seq: 2, ack: (0xffffff01 + 2000) >>> 0, flags: 'A' },
    ]);
    expect(r.segments.map((s) => [s.relSeq, s.relAck, s.retransmission])).toEqual([
      [0, null, false],
      [0, 1, false],
      [1, 1, false],
      [1001, 1, false],
      [1001, 1, true],
      [1, 2001, false],
    ]);
  });

  it('skips frames without TCP', () => {
    const tcp = decodeFrame(encodeFrame({ ...C, seq: 1, flags: 'S' }));
    const r = analyseConnections([
      { n: 1, time: 0n, decoded: decodeFrame(new Uint8Array(10)) },
      { n: 2, time: 1n, decoded: tcp },
    ]);
    expect(r.segments.map((s) => [s.index, s.n])).toEqual([[1, 2]]);
  });
});

describe('analyseConnections against tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), `tcpl-pkt-conn-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  type Mark = 'retransmission' | 'out-of-order' | 'keep-alive' | 'previous-not-captured';
  /** frame, stream (1-based), relative seq, relative ack (null without ACK), marks */
  type Row = [number, number, number, number | null, Mark[]];
  const MARK_FIELDS: Array<[string, Mark]> = [
    ['tcp.analysis.retransmission', 'retransmission'],
    ['tcp.analysis.out_of_order', 'out-of-order'],
    ['tcp.analysis.keep_alive', 'keep-alive'],
    ['tcp.analysis.lost_segment', 'previous-not-captured'],
  ];

  function tshark(file: string): Row[] {
    const fields = ['frame.number', 'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.flags.ack', ...MARK_FIELDS.map(([f]) => f)];
    const args = ['-r', file, '-o', 'tcp.analyze_sequence_numbers:TRUE', '-Y', 'tcp', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
    const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => {
        const [n, stream, seq, ack, ackFlag, ...marks] = l.split('\t');
        return [Number(n), Number(stream) + 1, Number(seq), ackFlag === '1' ? Number(ack) : null, MARK_FIELDS.filter((_, i) => marks[i] !== '').map(([, m]) => m)];
      });
  }

  function ours(file: string): Row[] {
    const { frames } = readCapture(readFileSync(file));
    const r = analyseConnections(frames.map((f, i) => ({ n: i + 1, time: f.time, decoded: decodeFrame(f.data, f.linkType, f.origLength) })));
    return r.segments.map((s) => [s.n, s.conn, s.relSeq, s.relAck, s.marks]);
  }

  /** Where we differ from tshark on purpose (analyseConnections says why): its mark on that frame, ours. */
  interface Difference {
    frame: number;
    tshark: Mark;
    ours: Mark | null;
  }

  function expectAgreement(file: string, differences: Difference[]): void {
    const theirs = tshark(file);
    for (const d of differences) {
      const row = theirs.find((r) => r[0] === d.frame)!;
      expect(row[4], `tshark's marks on frame ${d.frame}`).toContain(d.tshark);
      row[4] = row[4].flatMap((m) => (m !== d.tshark ? [m] : d.ours ? [d.ours] : []));
    }
    expect(ours(file)).toEqual(theirs);
  }

  it('agrees on streams, relative numbers and analysis flags for a capture full of trouble', () => {
    const D = { src: '192.168.1.1', dst: '192.168.1.2', sport: 4444, dport: 22 };
    const Dr = { src: '192.168.1.2', dst: '192.168.1.1', sport: 22, dport: 4444 };
    const segs: Seg[] = [
      ...handshake(0),
      { ...C, t: 2000, seq: 5001, ack: 9001, flags: 'PA', len: 100 },
      { ...C, t: 2100, seq: 5201, ack: 9001, flags: 'PA', len: 100 },
      { ...C, t: 2200, seq: 5101, ack: 9001, flags: 'PA', len: 100 },
      { ...S, t: 2300, seq: 9001, ack: 5301, flags: 'A' },
      { ...C, t: 62000, seq: 5401, ack: 9001, flags: 'PA', len: 100 },
      { ...C, t: 90000, seq: 5301, ack: 9001, flags: 'PA', len: 100 }, // fills a hole 28 ms later
      { ...S, t: 90100, seq: 9001, ack: 5501, flags: 'PA', len: 300 },
      { ...C, t: 90200, seq: 5501, ack: 9301, flags: 'A' },
      { ...S, t: 150000, seq: 9001, ack: 5501, flags: 'PA', len: 300 }, // retransmission
      { ...S, t: 200000, seq: 9300, ack: 5501, flags: 'A' }, // keep-alive
      { ...C, t: 210000, seq: 5501, ack: 9301, flags: 'FA' },
      { ...S, t: 210100, seq: 9301, ack: 5502, flags: 'FA' },
      { ...C, t: 210200, seq: 5502, ack: 9302, flags: 'A' },
      ...handshake(300000, 123456, 654321), // reuse of the 4-tuple
      { ...D, t: 400000, seq: 1, flags: 'S' },
      { ...Dr, t: 400100, seq: 0, ack: 2, flags: 'RA' },
      { ...D, t: 700000, seq: 1, flags: 'S' }, // SYN again after the RST
      { ...Dr, t: 700100, seq: 0, ack: 2, flags: 'RA' },
      { ...D, t: 800000, seq: 99, ack: 42, flags: 'PA', len: 10 }, // a different connection on the same tuple, mid-stream
    ];
    const file = join(dir, 'trouble.pcap');
    writeFileSync(file, pcapBytes(build(segs)));
    expectAgreement(file, [{ frame: 9, tshark: 'retransmission', ours: 'out-of-order' }]);
  });

  // cases/simultaneous/simultaneous-open.case.ts [IPv4]: SYN, SYN, then each side's SYN-ACK with its ISN
  it('agrees on a recorded simultaneous open but for its SYN-ACKs, which are no retransmissions', () => {
    expectAgreement(join(FIXTURES, 'simultaneous-open-ipv4.pcap'), [
      { frame: 7, tshark: 'retransmission', ours: null },
      { frame: 8, tshark: 'retransmission', ours: null },
    ]);
  });

  // Soak failure 11 (docs/RELIABILITY.md), bridge mode: two CPUs' backlogs fed the bridge
  // two interleaved runs of segments; the handshake, then frames 6776-6850 of the
  // capture, cut to 128 bytes. Frame 59 (6831), never seen before, fills its hole 64 µs
  // after the furthest segment, longer than the handshake's round trip.
  it('agrees on recorded real reordering but for a late hole-filler, which is no retransmission', () => {
    const file = join(FIXTURES, 'bridge-reordering-ipv6.pcap');
    expectAgreement(file, [{ frame: 59, tshark: 'retransmission', ours: 'out-of-order' }]);
    expect(ours(file).filter((r) => r[4].includes('retransmission'))).toEqual([]);
  });
});
