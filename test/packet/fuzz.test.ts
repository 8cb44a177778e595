/**
 * Property tests: random bytes and mutations of well-formed frames and files. The
 * decoder must never throw, never hang, never read outside the frame, and give a
 * reason whenever it calls a frame malformed; the capture reader must either read a
 * file or throw CaptureFormatError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseConnections,
  CaptureFormatError,
  decodeFrame,
  encodeFrame,
  LinkType,
  pcapBytes,
  readCapture,
  type DecodedFrame,
} from '../../harness/packet/index.js';
import { concat, ipPacket, LINUX_SYN_OPTIONS, ng, tcpFrame, withIpv6Extensions } from './fixtures.js';

const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
const v6 = { src: 'fe80::1', dst: '2001:db8::2' };

/** Well-formed frames of every layer the decoder knows, each with its link type. */
const CORPUS: [number, Uint8Array][] = [
  [1, tcpFrame({ options: LINUX_SYN_OPTIONS })],
  [1, tcpFrame({ flags: 'PA', options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 1, tsecr: 2 }], payload: new Uint8Array(1448) })],
  [1, tcpFrame({ flags: 'A', options: [{ kind: 1 }, { kind: 1 }, { kind: 5, sack: [1, 2, 3, 4, 5, 6, 7, 8] }] })],
  [1, tcpFrame({ vlans: [5, 6], options: [{ kind: 19, raw: new Uint8Array(16) }, { kind: 29, raw: new Uint8Array(6) }, { kind: 30, raw: b(0x10, 1) }, { kind: 34, raw: new Uint8Array(4) }, { kind: 254, raw: b(0xf9, 0x89) }], pad: 'eol' })],
  [1, withIpv6Extensions(encodeFrame({ ...v6, sport: 1, dport: 2, seq: 3, flags: 'PA', payload: new Uint8Array(40) }), [
    { type: 0, bytes: [0, 0, 1, 4, 0, 0, 0, 0] },
    { type: 43, bytes: [0, 2, 0, 1, 0, 0, 0, 0, ...new Array(16).fill(1)] },
    { type: 44, bytes: [0, 0, 0, 0, 0, 0, 0, 1] },
    { type: 51, bytes: [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1] },
    { type: 60, bytes: [0, 0, 1, 4, 0, 0, 0, 0] },
  ])],
  [1, b(255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2)],
  [LinkType.LINUX_SLL, concat([b(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 8, 0), ipPacket(tcpFrame({ flags: 'SA' }))])],
  [LinkType.LINUX_SLL2, concat([b(0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0), ipPacket(encodeFrame({ ...v6, sport: 7, dport: 8, seq: 9, flags: 'S' }))])],
  [LinkType.NULL, concat([b(2, 0, 0, 0), ipPacket(tcpFrame({ flags: 'FA' }))])],
  [LinkType.LOOP, concat([b(0, 0, 0, 30), ipPacket(encodeFrame({ ...v6, sport: 7, dport: 8, seq: 9, flags: 'R' }))])],
  [LinkType.RAW, ipPacket(tcpFrame({ flags: 'PA', payload: new Uint8Array(100) }))],
  [LinkType.IPV6, ipPacket(encodeFrame({ ...v6, sport: 7, dport: 8, seq: 9, flags: 'S', options: LINUX_SYN_OPTIONS }))],
];

const LINK_TYPES = [0, 1, 12, 101, 108, 113, 228, 229, 276];

/** Throws (and so fails the property) when a frame decodes to something impossible. */
function checkFrame(f: DecodedFrame, data: Uint8Array, origLength: number): void {
  if (f.malformed !== null && (typeof f.malformed !== 'string' || f.malformed.length === 0)) throw new Error('malformed without a reason');
  const ints: [string, number | undefined][] = [];
  if (f.ip) ints.push(['ttl', f.ip.ttl], ['tos', f.ip.tos], ['protocol', f.ip.protocol], ['totalLength', f.ip.totalLength], ['headerLength', f.ip.headerLength]);
  if (f.tcp) {
    const t = f.tcp;
    ints.push(['sport', t.sport], ['dport', t.dport], ['seq', t.seq], ['ack', t.ack], ['win', t.win], ['flags', t.flags], ['urgent', t.urgent], ['checksum', t.checksum], ['payloadLength', t.payloadLength], ['payloadOffset', t.payloadOffset]);
    for (const o of t.options) {
      ints.push(['option kind', o.kind], ['option length', o.length]);
      for (const v of [o.mss, o.wscale, o.tsval, o.tsecr, ...(o.sack ?? [])]) if (v !== undefined) ints.push(['option value', v]);
      if (o.raw && o.raw.length !== o.length - 2) throw new Error(`option ${o.kind} raw ${o.raw.length} vs length ${o.length}`);
    }
    if (f.malformed === null) {
      if (t.payloadLength < 0) throw new Error('negative payload length');
      if (t.payloadOffset > data.length) throw new Error('payload offset past the captured bytes');
      if (t.payloadOffset + t.payloadLength > Math.max(origLength, data.length)) throw new Error('payload past the frame');
      if (t.dataOffset < 5) throw new Error('data offset < 5 not flagged');
      const optionBytes = t.options.reduce((n, o) => n + o.length, 0);
      if (optionBytes > t.dataOffset * 4 - 20) throw new Error('options longer than the header');
    }
  }
  for (const [name, v] of ints) {
    if (v === undefined || !Number.isInteger(v) || v < 0) throw new Error(`${name} is ${v}`);
  }
  for (const s of [f.ip?.src, f.ip?.dst, f.eth?.src, f.arp?.senderIp]) {
    if (s !== undefined && (s.includes('undefined') || s.includes('NaN'))) throw new Error(`address ${s}`);
  }
}

/** A view of `data` that throws on any index outside it. */
function guarded(data: Uint8Array): Uint8Array {
  return new Proxy(data, {
    get(target, key) {
      if (typeof key === 'string' && /^-?\d+$/.test(key)) {
        const i = Number(key);
        if (i < 0 || i >= target.length) throw new RangeError(`read of byte ${i} of ${target.length}`);
        return target[i];
      }
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const mutated = fc
  .tuple(
    fc.integer({ min: 0, max: CORPUS.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    // a quarter of the frames are cut short somewhere
    fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
    fc.nat({ max: 3000 }),
  )
  .map(([which, edits, cut, extra]) => {
    const [linkType, base] = CORPUS[which];
    let data = base.slice();
    for (const [at, v] of edits) data[at % data.length] = v;
    if (cut !== undefined) data = data.subarray(0, cut % (data.length + 1));
    return { linkType, data, origLength: data.length + (extra % 2 ? extra : 0) };
  });

const random = fc
  .tuple(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 2000 }))
  .map(([linkType, data, extra]) => ({ linkType, data, origLength: data.length + (extra % 3 === 0 ? extra : 0) }));

/** Random bytes behind a valid link + IP header, so the fuzzing reaches TCP. */
const randomTcp = fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 80 }), fc.boolean()).map(([tail, six]) => {
  const head = six ? encodeFrame({ ...v6, sport: 1, dport: 2, seq: 3, flags: 'S' }).subarray(0, 54) : tcpFrame().subarray(0, 34);
  const data = concat([head, tail]);
  const ipLen = data.length - 14;
  if (six) {
    data[18] = (ipLen - 40) >> 8;
    data[19] = (ipLen - 40) & 255;
  } else {
    data[16] = ipLen >> 8;
    data[17] = ipLen & 255;
  }
  return { linkType: 1, data, origLength: data.length };
});

const anyFrame = fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: random, weight: 2 }, { arbitrary: randomTcp, weight: 4 });

describe('decodeFrame on hostile input', () => {
  it('survives 100 000 random and mutated frames: no throw, no hang, sane fields, every malformed frame has a reason', () => {
    let malformed = 0;
    let tcp = 0;
    let badTcp = 0;
    const started = performance.now();
    fc.assert(
      fc.property(anyFrame, ({ linkType, data, origLength }) => {
        const f = decodeFrame(data, linkType, origLength);
        checkFrame(f, data, origLength);
        if (f.malformed !== null) malformed++;
        if (f.tcp && f.malformed === null) tcp++;
        if (f.tcp && f.malformed !== null) badTcp++;
      }),
      { numRuns: 100_000, seed: 20240601 },
    );
    // the run must exercise both sides
    expect(malformed).toBeGreaterThan(10_000);
    expect(tcp).toBeGreaterThan(10_000);
    expect(badTcp).toBeGreaterThan(5_000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('never reads outside the frame (every byte access checked)', () => {
    expect(() => guarded(b(1, 2))[2]).toThrow(RangeError);
    fc.assert(
      fc.property(anyFrame, ({ linkType, data, origLength }) => {
        const f = decodeFrame(guarded(data), linkType, origLength);
        checkFrame(f, data, origLength);
      }),
      { numRuns: 5000, seed: 7 },
    );
  });

  it('feeds mutated frames through the connection analysis without trouble', () => {
    const frames = fc.sample(anyFrame, { numRuns: 20_000, seed: 99 }).map((x, i) => ({ n: i + 1, time: BigInt(i), decoded: decodeFrame(x.data, x.linkType, x.origLength) }));
    const r = analyseConnections(frames);
    for (const s of r.segments) {
      if (!Number.isInteger(s.relSeq) || s.relSeq < 0 || s.relSeq > 0xffffffff) throw new Error(`relSeq ${s.relSeq}`);
    }
    expect(r.segments.length).toBeGreaterThan(5000);
  });
});

describe('readCapture on hostile input', () => {
  const pcap = pcapBytes(CORPUS.filter(([lt]) => lt === 1).map(([, data], i) => ({ time: BigInt(i) * 1000n, data })));
  const pcapng = concat([
    ng.shb(false),
    ng.idb(false, 1, { tsresol: 9 }),
    ...CORPUS.filter(([lt]) => lt === 1).map(([, data], i) => ng.epb(false, 0, BigInt(i), data)),
    ng.spb(false, CORPUS[0][1]),
  ]);

  it('reads or throws CaptureFormatError for 20 000 mutated files', () => {
    let read = 0;
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (ng, edits, cut) => {
          let file = (ng ? pcapng : pcap).slice();
          for (const [at, v] of edits) file[at % file.length] = v;
          if (cut !== undefined) file = file.subarray(0, cut % (file.length + 1));
          try {
            const { frames } = readCapture(file);
            read++;
            for (const f of frames) {
              if (f.data.length > file.length || f.origLength < f.data.length) throw new Error('impossible frame');
              checkFrame(decodeFrame(f.data, f.linkType, f.origLength), f.data, f.origLength);
            }
          } catch (e) {
            if (!(e instanceof CaptureFormatError)) throw e;
            if (!/ at byte offset \d+$/.test(e.message) || e.message.includes('\n')) throw new Error(`bad message: ${e.message}`);
          }
        },
      ),
      { numRuns: 20_000, seed: 3 },
    );
    expect(read).toBeGreaterThan(1000);
  });
});
