/**
 * Crafted frames of every link type and option kind, written as pcapng (both byte
 * orders, one interface per link type) and pcap, read back by tshark: tshark must
 * see the same fields we decode, and must find the checksums encodeFrame writes good.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FLAG_STRINGS, LinkType, pcapBytes, readCapture, type DecodedFrame } from '../../harness/packet/index.js';
import { concat, ipPacket, LINUX_SYN_OPTIONS, ng, tcpFrame, withIpv6Extensions } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), `tcpl-pkt-interop-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = execFileSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...extra, ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return out
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.split('\t'));
}

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
const v4 = { src: '192.0.2.1', dst: '198.51.100.2' };
const v6 = { src: '2001:db8::1', dst: '2001:db8:0:1::2' };

/** [link type, frame bytes] */
const CRAFTED: [number, Uint8Array][] = [
  [LinkType.ETHERNET, tcpFrame({ ...v4, options: LINUX_SYN_OPTIONS })],
  [LinkType.ETHERNET, encodeFrame({ ...v6, sport: 80, dport: 50000, seq: 4000000000, ack: 7, flags: 'A', win: 501, options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 1, tsecr: 2 }, { kind: 1 }, { kind: 1 }, { kind: 5, sack: [100, 200, 300, 400, 500, 600] }] })],
  [LinkType.ETHERNET, encodeFrame({ ...v4, sport: 179, dport: 33000, seq: 1, ack: 2, flags: 'PA', vlans: [42], options: [{ kind: 19, raw: new Uint8Array(16).fill(9) }, { kind: 1 }, { kind: 1 }], payload: new Uint8Array(19) })],
  [LinkType.ETHERNET, (() => {
    const inner = encodeFrame({ ...v6, sport: 1, dport: 2, seq: 3, ack: 4, flags: 'SA', vlans: [7], options: [{ kind: 29, raw: b(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14) }, { kind: 1 }, { kind: 1 }] });
    return concat([inner.subarray(0, 12), b(0x88, 0xa8, 0, 99), inner.subarray(12)]);
  })()],
  [LinkType.ETHERNET, tcpFrame({ ...v4, flags: 'S', options: [{ kind: 30, raw: b(0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8) }, { kind: 34, raw: b(1, 2, 3, 4, 5, 6, 7, 8) }, { kind: 254, raw: b(0xf9, 0x89, 1, 2) }, { kind: 99, raw: b(1, 2) }], pad: 'eol' })],
  [LinkType.ETHERNET, (() => {
    const plain = tcpFrame({ ...v4, flags: 'PA', payload: b(1, 2, 3) });
    const withOpts = concat([plain.subarray(0, 34), b(0x94, 0x04, 0, 0), plain.subarray(34)]);
    withOpts[14] = 0x46;
    withOpts[17] += 4;
    return withOpts;
  })()],
  [LinkType.ETHERNET, withIpv6Extensions(encodeFrame({ ...v6, sport: 5, dport: 6, seq: 7, ack: 8, flags: 'FA', payload: b(1) }), [
    { type: 0, bytes: [0, 0, 1, 4, 0, 0, 0, 0] },
    { type: 60, bytes: [0, 0, 1, 4, 0, 0, 0, 0] },
    { type: 44, bytes: [0, 0, 0, 0, 0, 0, 0, 1] },
  ])],
  [LinkType.LINUX_SLL, concat([b(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00), ipPacket(tcpFrame({ ...v4, flags: 'R', seq: 99 }))])],
  [LinkType.LINUX_SLL2, concat([b(0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 2, 0, 0, 0, 0, 2, 0, 0), ipPacket(encodeFrame({ ...v6, sport: 9, dport: 10, seq: 11, ack: 12, flags: 'PA', payload: new Uint8Array(100) }))])],
  [LinkType.NULL, concat([b(2, 0, 0, 0), ipPacket(tcpFrame({ ...v4, flags: 'SA', ack: 5, options: [{ kind: 2, mss: 536 }] }))])],
  [LinkType.LOOP, concat([b(0, 0, 0, 24), ipPacket(encodeFrame({ ...v6, sport: 13, dport: 14, seq: 15, flags: 'S' }))])],
  [LinkType.RAW, ipPacket(tcpFrame({ ...v4, flags: 'A', ack: 77, win: 0 }))],
  [LinkType.IPV4, ipPacket(tcpFrame({ ...v4, flags: 'FPAUEC', urgent: 3, ack: 1 }))],
  [LinkType.IPV6, ipPacket(encodeFrame({ ...v6, sport: 16, dport: 17, seq: 18, flags: 'S', options: [{ kind: 3, wscale: 14 }], pad: 'nop' }))],
  [LinkType.ETHERNET, b(255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2)],
];

const FIELDS = [
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags',
  'tcp.window_size_value', 'tcp.len', 'tcp.urgent_pointer', 'tcp.option_kind', 'tcp.option_len', 'tcp.options.mss_val',
  'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'tcp.options.sack_le',
  'tcp.options.sack_re', 'ieee8021ad.id', 'vlan.id', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.opcode', '_ws.malformed',
];

const list = (s: string): number[] => (s === '' ? [] : s.split(',').map(Number));

/** Our decoding in tshark's terms, field by field. */
function asTshark(f: DecodedFrame): string[] {
  const t = f.tcp;
  const opts = t?.options ?? [];
  const ofKind = (pick: (o: (typeof opts)[number]) => number | undefined) =>
    opts.map(pick).filter((x) => x !== undefined).join(',');
  const sack = opts.flatMap((o) => o.sack ?? []);
  const ip = f.ip;
  return [
    ip?.version === 4 ? ip.src : '',
    ip?.version === 4 ? ip.dst : '',
    ip?.version === 6 ? ip.src : '',
    ip?.version === 6 ? ip.dst : '',
    t ? String(t.sport) : '',
    t ? String(t.dport) : '',
    t ? String(t.seq) : '',
    t ? String(t.ack) : '',
    t ? t.flagString : '',
    t ? String(t.win) : '',
    t ? String(t.payloadLength) : '',
    t ? String(t.urgent) : '',
    opts.map((o) => o.kind).join(','),
    opts.filter((o) => o.kind > 1).map((o) => o.length).join(','),
    ofKind((o) => o.mss),
    ofKind((o) => o.wscale),
    ofKind((o) => o.tsval),
    ofKind((o) => o.tsecr),
    sack.filter((_, i) => i % 2 === 0).join(','),
    sack.filter((_, i) => i % 2 === 1).join(','),
    f.eth && f.eth.vlans.length > 1 ? String(f.eth.vlans[0]) : '', // tshark: the 802.1ad tag
    f.eth ? f.eth.vlans.slice(f.eth.vlans.length > 1 ? 1 : 0).join(',') : '',
    f.arp?.senderIp ?? '',
    f.arp?.targetIp ?? '',
    f.arp ? String(f.arp.op) : '',
    f.malformed === null ? '' : 'malformed',
  ];
}

function normalise(row: string[]): string[] {
  const out = [...row];
  const flags = FIELDS.indexOf('tcp.flags');
  if (out[flags] !== '') out[flags] = FLAG_STRINGS[parseInt(out[flags], 16) & 0xff];
  const mal = FIELDS.indexOf('_ws.malformed');
  if (out[mal] !== '') out[mal] = 'malformed';
  return out;
}

describe('crafted frames of every kind, read by tshark', () => {
  const linkTypes = [...new Set(CRAFTED.map(([lt]) => lt))];

  for (const le of [true, false]) {
    it(`agrees on every field in a ${le ? 'little' : 'big'}-endian pcapng with ${linkTypes.length} interfaces`, () => {
      const file = join(dir, `crafted-${le ? 'le' : 'be'}.pcapng`);
      writeFileSync(
        file,
        concat([
          ng.shb(le),
          ...linkTypes.map((lt, i) => ng.idb(le, lt, { tsresol: i % 2 ? 9 : 6 })),
          ...CRAFTED.map(([lt, data], i) => {
            const iface = linkTypes.indexOf(lt);
            const units = iface % 2 ? 1700000000_000000000n + BigInt(i) : 1700000000_000000n + BigInt(i);
            return ng.epb(le, iface, units, data);
          }),
        ]),
      );
      const { frames } = readCapture(readFileSync(file));
      expect(frames).toHaveLength(CRAFTED.length);
      const ours = frames.map((fr) => asTshark(decodeFrame(fr.data, fr.linkType, fr.origLength)));
      const theirs = tshark(file, FIELDS, ['-o', 'tcp.relative_sequence_numbers:FALSE']).map(normalise);
      const times = tshark(file, ['frame.time_epoch', 'frame.interface_id']);
      expect(frames.map((fr) => [fr.time, fr.iface])).toEqual(times.map(([t, id]) => [BigInt(t.replace('.', '')), Number(id)]));
      for (let i = 0; i < CRAFTED.length; i++) {
        expect({ frame: i + 1, fields: Object.fromEntries(FIELDS.map((f, k) => [f, ours[i][k]])) }).toEqual({
          frame: i + 1,
          fields: Object.fromEntries(FIELDS.map((f, k) => [f, theirs[i][k]])),
        });
      }
    });
  }
});

describe('checksums written by encodeFrame', () => {
  it('are good according to tshark, IPv4 and IPv6, odd and even lengths, with options', () => {
    const specs = fc.sample(
      fc.record({
        v6: fc.boolean(),
        sport: fc.integer({ min: 1, max: 65535 }),
        dport: fc.integer({ min: 1, max: 65535 }),
        seq: fc.integer({ min: 0, max: 0xffffffff }),
        ack: fc.integer({ min: 0, max: 0xffffffff }),
        flags: fc.integer({ min: 0, max: 255 }),
        len: fc.integer({ min: 0, max: 1400 }),
        ts: fc.boolean(),
      }),
      { numRuns: 300, seed: 42 },
    );
    const frames = specs.map((s, i) => ({
      time: 1700000000_000000000n + BigInt(i),
      data: encodeFrame({
        ...(s.v6 ? v6 : v4),
        sport: s.sport,
        dport: s.dport,
        seq: s.seq,
        ack: s.ack,
        flags: s.flags,
        payload: Uint8Array.from({ length: s.len }, (_, k) => (k * 31 + i) & 255),
        options: s.ts ? [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: s.seq, tsecr: s.ack }] : [],
      }),
    }));
    const file = join(dir, 'checksums.pcap');
    writeFileSync(file, pcapBytes(frames));
    const rows = tshark(file, ['ip.checksum.status', 'tcp.checksum.status', 'ipv6.src'], ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE']);
    expect(rows).toHaveLength(300);
    // status 1 = good, 0 = bad
    expect(rows.map(([ip, tcp, src]) => [src ? '' : ip, tcp])).toEqual(specs.map((s) => [s.v6 ? '' : '1', '1']));
  });
});
