import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionLadder, frameJson, SHOW_HELP, showCommand, tcpJsonLine, timeString } from '../../harness/cli/show.js';
import fc from 'fast-check';
import { analyseConnections, decodeFrame, encodeFrame, pcapBytes, type FrameSpec } from '../../harness/packet/index.js';
import { LINUX_SYN_OPTIONS } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), `tcpl-pkt-show-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1700000000_000000000n;
const C = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 8080 };
const S = { src: '10.0.0.2', dst: '10.0.0.1', sport: 8080, dport: 40000 };
const V6 = { src: 'fd00::1', dst: 'fd00::2', sport: 50000, dport: 443 };
const ARP = Uint8Array.from([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);

const SPECS: (FrameSpec | Uint8Array)[] = [
  ARP,
  { ...C, seq: 1000, flags: 'S', win: 64240, options: LINUX_SYN_OPTIONS },
  { ...S, seq: 2000, ack: 1001, flags: 'SA', win: 65160, options: LINUX_SYN_OPTIONS },
  { ...C, seq: 1001, ack: 2001, flags: 'A', win: 502 },
  { ...V6, seq: 7, ack: 9, flags: 'PA', payload: new Uint8Array(5), options: [{ kind: 1 }, { kind: 1 }, { kind: 5, sack: [1, 2] }] },
  { ...C, seq: 1001, ack: 2001, flags: 'PA', win: 502, payload: new Uint8Array(10) },
  { ...C, seq: 1001, ack: 2001, flags: 'PA', win: 502, payload: new Uint8Array(10) },
  { ...S, seq: 2001, ack: 1011, flags: 'FA', win: 509, options: [{ kind: 34, raw: Uint8Array.of(0xca, 0xfe, 0xba, 0xbe) }, { kind: 1 }, { kind: 1 }] },
  { ...C, seq: 1011, ack: 2002, flags: 'RA', dataOffset: 4 },
];

function writeCapture(name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    pcapBytes(SPECS.map((s, i) => ({ time: T0 + BigInt(i) * 1_500_000n, data: s instanceof Uint8Array ? s : encodeFrame(s) }))),
  );
  return path;
}

async function show(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await showCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('tcpladder show --json', () => {
  const file = writeCapture('show.pcap');

  it('prints one object per frame with the fields of issue 3', async () => {
    const { code, out, err } = await show([file, '--json']);
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(SPECS.length);
    expect(lines[0]).toEqual({
      n: 1,
      time: '1700000000.000000000',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      arp: { op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' },
      summary: 'ARP who-has 10.0.0.2 tell 10.0.0.1',
      malformed: null,
    });
    expect(lines[1]).toEqual({
      n: 2,
      time: '1700000000.001500000',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 40000,
      dport: 8080,
      seq: 1000,
      ack: 0,
      flags: 'S',
      win: 64240,
      len: 0,
      options: [
        { kind: 2, name: 'mss', length: 4, mss: 1460 },
        { kind: 4, name: 'sackOK', length: 2 },
        { kind: 8, name: 'ts', length: 10, tsval: 123456, tsecr: 0 },
        { kind: 1, name: 'nop', length: 1 },
        { kind: 3, name: 'wscale', length: 3, wscale: 7 },
      ],
      malformed: null,
      conn: 1,
      rseq: 0,
      rack: null,
      marks: [],
    });
    expect(lines[4]).toMatchObject({ src: 'fd00::1', dst: 'fd00::2', flags: 'PA', len: 5, conn: 2, rseq: 1, rack: 1 });
    expect(lines[4].options[2]).toEqual({ kind: 5, name: 'sack', length: 10, sack: [1, 2] });
    expect(lines[6]).toMatchObject({ n: 7, seq: 1001, ack: 2001, len: 10, rseq: 1, marks: ['retransmission'] });
    expect(lines[7]).toMatchObject({ flags: 'FA', win: 509, options: [{ kind: 34, name: 'fastopen', length: 6, raw: 'cafebabe' }, { kind: 1 }, { kind: 1 }] });
    expect(lines[8]).toMatchObject({ flags: 'RA', malformed: 'tcp data offset 4 < 5', conn: 1 });
  });

  it('selects connections with --conn and --port (frames of other connections and non-TCP frames left out)', async () => {
    const byConn = await show([file, '--json', '--conn', '2']);
    expect(byConn.out.trimEnd().split('\n').map((l) => JSON.parse(l).n)).toEqual([5]);
    const byPort = await show(['--port=8080', file, '--json']);
    expect(byPort.out.trimEnd().split('\n').map((l) => JSON.parse(l).n)).toEqual([2, 3, 4, 6, 7, 8, 9]);
    const none = await show([file, '--json', '--port', '9']);
    expect(none).toEqual({ code: 0, out: '', err: '' });
  });
});

describe('tcpJsonLine', () => {
  it('writes exactly what JSON.stringify(frameJson(…)) writes, for any TCP frame', () => {
    const base = encodeFrame({ ...C, seq: 1, ack: 2, flags: 'PA', options: [...LINUX_SYN_OPTIONS, { kind: 1 }, { kind: 1 }, { kind: 5, sack: [1, 2] }, { kind: 34, raw: Uint8Array.of(1, 2) }, { kind: 254, raw: Uint8Array.of(0xf9, 0x89) }] });
    let compared = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 34, max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.boolean(), (edits, withSeg) => {
        const data = base.slice();
        for (const [at, v] of edits) data[at] = v;
        const d = decodeFrame(data);
        if (!d.tcp || !d.ip) return;
        const frame = { time: T0 + 123n, data, origLength: data.length, linkType: 1 };
        const seg = withSeg ? analyseConnections([{ n: 1, time: frame.time, decoded: d }]).segments[0] : undefined;
        expect(tcpJsonLine(5, frame, d, seg)).toBe(JSON.stringify(frameJson(5, frame, d, seg)));
        compared++;
      }),
      { numRuns: 3000, seed: 11 },
    );
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('tcpladder show (text)', () => {
  const file = writeCapture('text.pcap');

  it('prints a header and a ladder per connection', async () => {
    const { code, out, err } = await show([file]);
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.split('\n');
    expect(lines[0]).toBe(`${file}: pcap, 9 frames, 2 TCP connections; not TCP: ARP 1`);
    expect(out).toContain('connection 1: 10.0.0.1:40000 ↔ 10.0.0.2:8080');
    expect(out).toContain('connection 2: [fd00::1]:50000 ↔ [fd00::2]:443');
    expect(out).toMatch(/SYN seq=0 win=64240 <mss 1460,sackOK,ts,nop,wscale 7>/);
    expect(out).toMatch(/<─+ SYN ACK seq=0 ack=1 win=65160/);
    expect(out).toMatch(/PSH ACK seq=1 ack=1 len=10 win=502 \[retransmission\]/);
    expect(out).toMatch(/RST ACK seq=11 ack=2 win=65535 \[malformed: tcp data offset 4 < 5\]/);
    expect(out).not.toContain('\x1b[');
  });

  it('colours on request and selects with --conn', async () => {
    const { out } = await show([file, '--conn', '2', '--color', '--width', '120']);
    expect(out).toContain('\x1b[');
    expect(out).toContain('connection 2:');
    expect(out).not.toContain('connection 1:');
    const none = await show([file, '--port', '1']);
    expect(none.out.split('\n')[1]).toBe('no TCP connection matches');
  });
});

describe('connectionLadder', () => {
  it('builds columns, relative numbers, marks and notes from the analysis', () => {
    const specs: FrameSpec[] = [
      { ...C, seq: 1000, flags: 'S' },
      { ...S, seq: 2000, ack: 1001, flags: 'SA' },
      { ...C, seq: 1001, ack: 2001, flags: 'PA', payload: new Uint8Array(10), options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 5, tsecr: 6 }] },
      { ...C, seq: 1001, ack: 2001, flags: 'PA', payload: new Uint8Array(10) },
      { ...S, seq: 2000, ack: 1011, flags: 'A', options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 5, tsecr: 6 }, { kind: 1 }, { kind: 1 }, { kind: 5, sack: [1001, 1011] }] },
    ];
    const frames = specs.map((s, i) => ({ n: i + 1, time: T0 + BigInt(i) * 250_000_000n, decoded: decodeFrame(encodeFrame(s)) }));
    const [conn] = analyseConnections(frames).connections;
    const ladder = connectionLadder(conn, T0 - 500_000_000n);
    expect(ladder.columns).toEqual([{ name: '10.0.0.1:40000' }, { name: '10.0.0.2:8080' }]);
    expect(ladder.rows).toEqual([
      { kind: 'segment', t: 0.5, from: 0, to: 1, flags: 'SYN', seq: 0, ack: null, len: 0, win: 65535, frame: 1, conn: 1 },
      { kind: 'segment', t: 0.75, from: 1, to: 0, flags: 'SYN ACK', seq: 0, ack: 1, len: 0, win: 65535, frame: 2, conn: 1 },
      { kind: 'segment', t: 1, from: 0, to: 1, flags: 'PSH ACK', seq: 1, ack: 1, len: 10, win: 65535, frame: 3, conn: 1 },
      { kind: 'segment', t: 1.25, from: 0, to: 1, flags: 'PSH ACK', seq: 1, ack: 1, len: 10, win: 65535, marks: ['retransmission'], frame: 4, conn: 1 },
      { kind: 'segment', t: 1.5, from: 1, to: 0, flags: 'ACK', seq: 0, ack: 11, len: 0, win: 65535, options: 'nop,nop,ts,nop,nop,sack 1:11', note: 'keep-alive', frame: 5, conn: 1 },
    ]);
  });

  it('writes times as decimal seconds with nine digits', () => {
    expect(timeString(1700000000_000000001n)).toBe('1700000000.000000001');
    expect(timeString(0n)).toBe('0.000000000');
    expect(timeString(-1_500_000_000n)).toBe('-1.500000000');
  });
});

describe('tcpladder show errors', () => {
  it('exits 2 with a one-line message naming the file', async () => {
    const missing = await show([join(dir, 'nope.pcap')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`tcpladder show: cannot read ${join(dir, 'nope.pcap')}: ENOENT\n`);
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'not a capture at all');
    const corrupt = await show([junk]);
    expect(corrupt).toEqual({ code: 2, out: '', err: `tcpladder show: ${junk}: not a pcap or pcapng file (starts with 6e 6f 74 20) at byte offset 0\n` });
    const cut = join(dir, 'cut.pcap');
    const whole = pcapBytes([{ time: 0n, data: encodeFrame({ ...C, seq: 1, flags: 'S' }) }]);
    writeFileSync(cut, whole.subarray(0, whole.length - 1));
    expect((await show([cut, '--json'])).err).toBe(`tcpladder show: ${cut}: pcap file cut short: last record incomplete (69 bytes) at byte offset 24\n`);
    expect((await show([dir])).err).toBe(`tcpladder show: cannot read ${dir}: EISDIR\n`);
  });

  it('exits 2 on bad usage', async () => {
    const file = writeCapture('usage.pcap');
    for (const [argv, message] of [
      [[], 'FILE is missing'],
      [[file, '--bogus'], 'unknown option --bogus'],
      [[file, file], `one FILE only (got ${JSON.stringify(file)} and ${JSON.stringify(file)})`],
      [[file, '--conn'], '--conn needs a number'],
      [[file, '--conn', '0'], '--conn 0 is not in 1..9007199254740991'],
      [[file, '--port', '70000'], '--port 70000 is not in 0..65535'],
      [[file, '--width', 'x'], '--width needs a number'],
    ] as const) {
      const r = await show([...argv]);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(`tcpladder show: ${message}`);
      expect(r.err.split('\n')[1]).toMatch(/^usage: tcpladder show FILE/);
    }
    expect(await show(['--help'])).toEqual({ code: 0, out: SHOW_HELP, err: '' });
    expect(SHOW_HELP.split('\n')[0]).toBe('usage: tcpladder show FILE [--format text|svg|mermaid] [--conn N] [--port P] [--json] [--color] [--width W]');
    const beyond = await show([file, '--conn', '3']);
    expect(beyond).toEqual({ code: 2, out: '', err: `tcpladder show: ${file}: no connection 3 (the capture has 2)\n` });
  });
});
