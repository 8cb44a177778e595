import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeFrame,
  encodeOption,
  encodeOptions,
  parseFlags,
  verifyChecksums,
  type FrameSpec,
  type TcpOptionSpec,
} from '../../harness/packet/index.js';
import { LINUX_SYN_OPTIONS } from './fixtures.js';

describe('parseFlags', () => {
  it('takes numbers, letters and names', () => {
    expect(parseFlags(0x12)).toBe(0x12);
    expect(parseFlags('SA')).toBe(0x12);
    expect(parseFlags('FSRPAUEC')).toBe(0xff);
    expect(parseFlags('')).toBe(0);
    expect(parseFlags(['SYN', 'ACK'])).toBe(0x12);
    expect(parseFlags('syn ack')).toBe(0x12);
    expect(parseFlags('FIN,PSH,ACK')).toBe(0x19);
    expect(parseFlags('ECE')).toBe(0x40); // a name wins over the letters E C E
    expect(() => parseFlags('SX')).toThrow(/unknown tcp flag letter "X"/);
    expect(() => parseFlags(['SYN', 'BOGUS'])).toThrow(/unknown tcp flag name/);
    expect(() => parseFlags(256)).toThrow(RangeError);
  });
});

describe('encodeOptions', () => {
  it('writes options in the given order and pads as asked', () => {
    expect([...encodeOptions([{ kind: 2, mss: 1460 }])]).toEqual([2, 4, 5, 180]);
    expect([...encodeOptions([{ kind: 3, wscale: 7 }])]).toEqual([3, 3, 7, 0]); // EOL, then zero padding
    expect([...encodeOptions([{ kind: 3, wscale: 7 }], 'nop')]).toEqual([3, 3, 7, 1]);
    expect([...encodeOptions([{ kind: 4 }, { kind: 3, wscale: 2 }], 'eol')]).toEqual([4, 2, 3, 3, 2, 0, 0, 0]);
    expect(() => encodeOptions([{ kind: 3, wscale: 7 }], false)).toThrow(/not a multiple of 4/);
    expect([...encodeOptions([{ name: 'sackOK' }, { kind: 1 }, { kind: 1 }])]).toEqual([4, 2, 1, 1]);
    expect([...encodeOptions([{ kind: 5, sack: [1, 2] }, { kind: 1 }, { kind: 1 }])]).toEqual([5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1]);
  });

  it('writes deliberately wrong lengths and verbatim bytes', () => {
    expect([...encodeOptions([{ kind: 2, mss: 1460, length: 7 }], false)]).toEqual([2, 7, 5, 180]);
    expect([...encodeOptions([{ bytes: Uint8Array.of(8, 1) }, { kind: 0 }, { kind: 0 }], false)]).toEqual([8, 1, 0, 0]);
    expect(() => encodeOptions(new Array(11).fill({ kind: 2, mss: 1 }))).toThrow(/more than 40/);
    expect(() => encodeOptions([{ kind: 8 }])).toThrow(/needs its fields or raw bytes/);
    expect(() => encodeOptions([{ name: 'bogus' }])).toThrow(/without a known kind/);
  });
});

const optionArb: fc.Arbitrary<TcpOptionSpec> = fc.oneof(
  fc.constant({ kind: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((mss) => ({ kind: 2, mss })),
  fc.integer({ min: 0, max: 14 }).map((wscale) => ({ kind: 3, wscale })),
  fc.constant({ kind: 4 }),
  fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 3 }).map((v) => ({ kind: 5, sack: v.flatMap((x) => [x, (x + 1000) >>> 0]) })),
  fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([tsval, tsecr]) => ({ kind: 8, tsval, tsecr })),
  fc.uint8Array({ minLength: 0, maxLength: 8 }).map((raw) => ({ kind: 34, raw })),
  fc.uint8Array({ minLength: 0, maxLength: 6 }).map((raw) => ({ kind: 99, raw })),
);

describe('encode → decode round trip', () => {
  it('gives back every field, IPv4 and IPv6, with valid checksums', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.record({
          sport: fc.integer({ min: 0, max: 0xffff }),
          dport: fc.integer({ min: 0, max: 0xffff }),
          seq: fc.integer({ min: 0, max: 0xffffffff }),
          ack: fc.integer({ min: 0, max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 255 }),
          win: fc.integer({ min: 0, max: 0xffff }),
          urgent: fc.integer({ min: 0, max: 0xffff }),
          ttl: fc.integer({ min: 0, max: 255 }),
          tos: fc.integer({ min: 0, max: 255 }),
          payload: fc.uint8Array({ maxLength: 300 }),
          options: fc.array(optionArb, { maxLength: 4 }),
        }),
        (v6, r) => {
          let size = 0;
          const options = r.options.filter((o) => {
            const n = encodeOption(o).length;
            if (size + n > 40) return false;
            size += n;
            return true;
          });
          const spec: FrameSpec = {
            srcMac: '02:00:00:00:00:0a',
            dstMac: '02:00:00:00:00:0b',
            src: v6 ? '2001:db8::a' : '192.0.2.10',
            dst: v6 ? '2001:db8::b' : '192.0.2.11',
            ...r,
            options,
            pad: 'nop',
          };
          const frame = encodeFrame(spec);
          const f = decodeFrame(frame);
          expect(f.malformed).toBeNull();
          expect(f.eth).toMatchObject({ src: spec.srcMac, dst: spec.dstMac });
          expect(f.ip).toMatchObject({ version: v6 ? 6 : 4, src: spec.src, dst: spec.dst, ttl: r.ttl, tos: r.tos, protocol: 6 });
          expect(f.tcp).toMatchObject({
            sport: r.sport,
            dport: r.dport,
            seq: r.seq,
            ack: r.ack,
            flags: r.flags,
            win: r.win,
            urgent: r.urgent,
            payloadLength: r.payload.length,
          });
          expect(frame.subarray(f.tcp!.payloadOffset)).toEqual(r.payload);
          const decoded = f.tcp!.options.filter((o) => o.kind !== 1);
          const given = options.filter((o) => !('bytes' in o) && o.kind !== 1);
          expect(decoded.map((o) => o.kind)).toEqual(given.map((o) => ('kind' in o ? o.kind : -1)));
          // decoded options encode to the very same bytes
          expect(encodeOptions(f.tcp!.options, false)).toEqual(frame.subarray(f.tcp!.payloadOffset - (f.tcp!.dataOffset * 4 - 20), f.tcp!.payloadOffset));
          expect(verifyChecksums(frame, f)).toEqual(v6 ? { tcp: true } : { ip: true, tcp: true });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('writes the IPv4 fields a scripted peer needs', () => {
    const frame = encodeFrame({ src: '10.1.1.1', dst: '10.1.1.2', sport: 1, dport: 2, seq: 3, flags: 'R', ipId: 0xbeef, dontFragment: false, options: LINUX_SYN_OPTIONS });
    const f = decodeFrame(frame);
    expect(f.ip).toMatchObject({ id: 0xbeef, dontFragment: false, ttl: 64, tos: 0 });
    expect(f.eth).toMatchObject({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });
    expect(f.tcp!.win).toBe(65535);
  });

  it('can write a wrong TCP checksum on purpose, and the checker notices', () => {
    const frame = encodeFrame({ src: '10.1.1.1', dst: '10.1.1.2', sport: 1, dport: 2, seq: 3, flags: 'S', tcpChecksum: 0x1234 });
    const f = decodeFrame(frame);
    expect(f.tcp!.checksum).toBe(0x1234);
    expect(verifyChecksums(frame, f)).toEqual({ ip: true, tcp: false });
    frame[14 + 8] ^= 1; // TTL: now the IPv4 header checksum is wrong too
    expect(verifyChecksums(frame, decodeFrame(frame)).ip).toBe(false);
  });

  it('refuses mixed families and oversized segments', () => {
    expect(() => encodeFrame({ src: '10.0.0.1', dst: 'fd00::1', sport: 1, dport: 2, seq: 0, flags: 'S' })).toThrow(/families differ/);
    expect(() => encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 0, flags: 'S', payload: new Uint8Array(65535) })).toThrow(RangeError);
    expect(() => encodeFrame({ src: '10.0.0.1', dst: 'nope', sport: 1, dport: 2, seq: 0, flags: 'S' })).toThrow(/not an IP address/);
  });
});
