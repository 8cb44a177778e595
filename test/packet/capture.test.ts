import { describe, expect, it } from 'vitest';
import { CaptureFormatError, CaptureReader, LinkType, readCapture, streamCapture, type CapturedFrame } from '../../harness/packet/index.js';
import { concat, ng, pcapFile, tcpFrame } from './fixtures.js';

const A = tcpFrame({ seq: 1 });
const B = tcpFrame({ seq: 2, flags: 'SA', payload: Uint8Array.of(1, 2, 3) }); // 57 bytes: exercises block padding
const C = tcpFrame({ seq: 3, flags: 'A' });

function errorOf(fn: () => unknown): CaptureFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureFormatError);
    return e as CaptureFormatError;
  }
  throw new Error('expected a CaptureFormatError');
}

describe('pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'} files`, () => {
        const file = pcapFile({ le, nano, linkType: LinkType.ETHERNET }, [
          { sec: 1700000000, frac: nano ? 123456789 : 123456, data: A },
          { sec: 1700000001, frac: nano ? 999999999 : 999999, data: B.subarray(0, 40), orig: B.length },
        ]);
        const { format, frames } = readCapture(file);
        expect(format).toBe('pcap');
        expect(frames).toHaveLength(2);
        expect(frames[0]).toMatchObject({ linkType: 1, origLength: A.length, iface: 0 });
        expect(frames[0].data).toEqual(A);
        expect(frames[0].time).toBe(nano ? 1700000000_123456789n : 1700000000_123456000n);
        expect(frames[1].time).toBe(nano ? 1700000001_999999999n : 1700000001_999999000n);
        expect(frames[1].data).toEqual(B.subarray(0, 40));
        expect(frames[1].origLength).toBe(B.length);
      });
    }
  }

  it('keeps the file link type', () => {
    const { frames } = readCapture(pcapFile({ le: true, nano: false, linkType: LinkType.LINUX_SLL2 }, [{ sec: 1, frac: 0, data: A }]));
    expect(frames[0].linkType).toBe(276);
  });

  it('reads an empty capture (header only)', () => {
    expect(readCapture(pcapFile({ le: false, nano: true }, [])).frames).toEqual([]);
  });

  it('throws with the offset of a cut record, a short header, or a bad version', () => {
    const file = pcapFile({ le: true, nano: false }, [{ sec: 1, frac: 0, data: A }, { sec: 2, frac: 0, data: B }]);
    let e = errorOf(() => readCapture(file.subarray(0, file.length - 5)));
    expect(e.offset).toBe(24 + 16 + A.length);
    expect(e.message).toBe(`pcap file cut short: last record incomplete (${16 + B.length - 5} bytes) at byte offset ${24 + 16 + A.length}`);
    e = errorOf(() => readCapture(file.subarray(0, 10)));
    expect(e.message).toBe('pcap file header truncated: 10 of 24 bytes at byte offset 0');
    const badVersion = file.slice();
    badVersion[4] = 9;
    expect(errorOf(() => readCapture(badVersion)).message).toBe('pcap version 9.4 is not 2.x at byte offset 4');
    const hugeRecord = file.slice();
    new DataView(hugeRecord.buffer).setUint32(24 + 8, 0xfffffff0, true);
    expect(errorOf(() => readCapture(hugeRecord)).message).toBe(
      'pcap record length 4294967280 is implausible (corrupt record header) at byte offset 24',
    );
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`reads a ${le ? 'little' : 'big'}-endian file with several interfaces and resolutions`, () => {
      const file = concat([
        ng.shb(le),
        ng.idb(le, LinkType.ETHERNET, { snaplen: 262144, name: 'eth0' }), // default: microseconds
        ng.idb(le, LinkType.RAW, { tsresol: 9 }), // nanoseconds
        ng.other(le, 4, [0, 0, 0, 0]), // name resolution block: skipped
        ng.epb(le, 0, 1700000000_000001n, A),
        ng.epb(le, 1, 1700000000_000000002n, B.subarray(14)),
        ng.other(le, 5, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // interface statistics: skipped
        ng.idb(le, LinkType.LINUX_SLL, { tsresol: 0x80 | 20 }), // 2^-20 s
        ng.epb(le, 2, 3n << 20n, C),
        ng.idb(le, LinkType.ETHERNET, { tsresol: 3, tsoffset: 1000n }), // milliseconds, +1000 s
        ng.epb(le, 3, 1500n, C, 1514),
        ng.other(le, 0x40000bad, [1, 2, 3, 4, 5, 6, 7, 8]), // custom block
      ]);
      const { format, frames } = readCapture(file);
      expect(format).toBe('pcapng');
      expect(frames.map((f) => [f.iface, f.linkType, f.time])).toEqual([
        [0, 1, 1700000000_000001000n],
        [1, 101, 1700000000_000000002n],
        [2, 113, 3_000000000n],
        [3, 1, 1001_500000000n],
      ]);
      expect(frames[0].data).toEqual(A);
      expect(frames[1].data).toEqual(B.subarray(14));
      expect(frames[3].origLength).toBe(1514);
      expect(frames[3].data.length).toBe(C.length);
    });
  }

  it('rounds binary resolutions down to whole nanoseconds', () => {
    const file = concat([ng.shb(true), ng.idb(true, 1, { tsresol: 0x80 | 30 }), ng.epb(true, 0, 1n, A)]);
    expect(readCapture(file).frames[0].time).toBe(0n); // 2^-30 s = 0.93 ns
    const fine = concat([ng.shb(true), ng.idb(true, 1, { tsresol: 12 }), ng.epb(true, 0, 1_000_000_001_999n, A)]);
    expect(readCapture(fine).frames[0].time).toBe(1_000_000_001n); // picoseconds
  });

  it('reads simple packet blocks (cut to the snaplen) and obsolete packet blocks', () => {
    const file = concat([ng.shb(false), ng.idb(false, 1, { snaplen: 40 }), ng.spb(false, B.subarray(0, 40), B.length), ng.pb(false, 0, 5n, A)]);
    const { frames } = readCapture(file);
    expect(frames[0]).toMatchObject({ time: 0n, origLength: B.length, linkType: 1 });
    expect(frames[0].data).toEqual(B.subarray(0, 40));
    expect(frames[1].time).toBe(5000n);
    expect(frames[1].data).toEqual(A);
  });

  it('starts over with each section: new byte order, new interfaces', () => {
    const file = concat([
      ng.shb(true),
      ng.idb(true, LinkType.ETHERNET),
      ng.epb(true, 0, 1n, A),
      ng.shb(false),
      ng.idb(false, LinkType.RAW),
      ng.epb(false, 0, 2n, B.subarray(14)),
    ]);
    const { frames } = readCapture(file);
    expect(frames.map((f) => [f.linkType, f.time])).toEqual([
      [1, 1000n],
      [101, 2000n],
    ]);
    const stale = concat([ng.shb(true), ng.idb(true, 1), ng.idb(true, 1), ng.shb(true), ng.idb(true, 1), ng.epb(true, 1, 1n, A)]);
    expect(errorOf(() => readCapture(stale)).message).toMatch(/packet for interface 1 but the section describes 1 at byte offset \d+/);
  });

  it('throws with the offset of what is wrong', () => {
    const good = concat([ng.shb(true), ng.idb(true, 1), ng.epb(true, 0, 1n, A)]);
    const shbLen = ng.shb(true).length;
    const idbLen = ng.idb(true, 1).length;
    const epbAt = shbLen + idbLen;

    expect(errorOf(() => readCapture(good.subarray(0, good.length - 4))).message).toBe(
      `pcapng file cut short: last block incomplete (${good.length - 4 - epbAt} bytes) at byte offset ${epbAt}`,
    );
    const badTrailer = good.slice();
    badTrailer[good.length - 4] ^= 4;
    expect(errorOf(() => readCapture(badTrailer)).offset).toBe(good.length - 4);
    const badLength = good.slice();
    new DataView(badLength.buffer).setUint32(epbAt + 4, 13, true);
    expect(errorOf(() => readCapture(badLength)).message).toBe(`pcapng block type 0x6 has invalid length 13 at byte offset ${epbAt + 4}`);
    const noIface = concat([ng.shb(true), ng.epb(true, 0, 1n, A)]);
    expect(errorOf(() => readCapture(noIface)).message).toBe(`pcapng packet for interface 0 but the section describes 0 at byte offset ${shbLen}`);
    const badMagic = good.slice();
    badMagic[8] = 0;
    expect(errorOf(() => readCapture(badMagic)).message).toBe('pcapng section header with bad byte-order magic 0x1a2b3c00 at byte offset 8');
    expect(errorOf(() => readCapture(concat([ng.shb(true, { major: 2 })]))).message).toBe('pcapng version 2.0 is not 1.x at byte offset 12');
    const capTooBig = good.slice();
    new DataView(capTooBig.buffer).setUint32(epbAt + 20, 4000, true);
    expect(errorOf(() => readCapture(capTooBig)).message).toMatch(/captured length 4000 exceeds the block .* at byte offset \d+$/);
    const notFirst = concat([ng.idb(true, 1)]);
    expect(errorOf(() => readCapture(notFirst)).message).toMatch(/^not a pcap or pcapng file \(starts with 01 00 00 00\) at byte offset 0$/);
    const badOption = ng.idb(true, 1, { tsresol: 6 });
    new DataView(badOption.buffer).setUint16(16 + 2, 200, true);
    expect(errorOf(() => readCapture(concat([ng.shb(true), badOption]))).message).toBe(
      `pcapng interface option 9 length 200 runs past its block at byte offset ${shbLen + 16}`,
    );
  });
});

describe('unknown input', () => {
  it('throws for empty, short and foreign files', () => {
    expect(errorOf(() => readCapture(new Uint8Array(0))).message).toBe('empty capture file at byte offset 0');
    expect(errorOf(() => readCapture(Uint8Array.of(0xd4, 0xc3))).message).toBe('capture file too short (2 bytes) for any format at byte offset 0');
    expect(errorOf(() => readCapture(new TextEncoder().encode('hello world'))).message).toBe(
      'not a pcap or pcapng file (starts with 68 65 6c 6c) at byte offset 0',
    );
  });
});

describe('incremental reading', () => {
  const pcap = pcapFile({ le: false, nano: true }, [
    { sec: 1, frac: 1, data: A },
    { sec: 2, frac: 2, data: B },
    { sec: 3, frac: 3, data: C },
  ]);
  const pcapng = concat([ng.shb(false), ng.idb(false, 1), ng.epb(false, 0, 1n, A), ng.epb(false, 0, 2n, B), ng.shb(true), ng.idb(true, 1), ng.epb(true, 0, 3n, C)]);

  for (const [name, file] of [
    ['pcap', pcap],
    ['pcapng', pcapng],
  ] as const) {
    it(`gives the same frames as readCapture for every split of a ${name} file`, () => {
      const whole = readCapture(file).frames;
      for (let cut = 0; cut <= file.length; cut++) {
        const reader = new CaptureReader();
        const got: CapturedFrame[] = [...reader.push(file.subarray(0, cut)), ...reader.push(file.subarray(cut))];
        reader.end();
        expect(got).toEqual(whole);
        expect(reader.format).toBe(name);
      }
      const bytewise = new CaptureReader();
      const got: CapturedFrame[] = [];
      for (let i = 0; i < file.length; i++) got.push(...bytewise.push(file.subarray(i, i + 1)));
      bytewise.end();
      expect(got).toEqual(whole);
    });
  }

  it('reports the absolute offset of a cut record after several chunks', () => {
    const reader = new CaptureReader();
    reader.push(pcap.subarray(0, 50));
    reader.push(pcap.subarray(50, pcap.length - 3));
    const e = errorOf(() => reader.end());
    expect(e.offset).toBe(24 + 16 + A.length + 16 + B.length);
  });

  it('streams frames from an async iterable', async () => {
    async function* chunks() {
      for (let i = 0; i < pcapng.length; i += 7) yield pcapng.subarray(i, i + 7);
    }
    const got: CapturedFrame[] = [];
    for await (const f of streamCapture(chunks())) got.push(f);
    expect(got).toEqual(readCapture(pcapng).frames);
  });

  it('does not hold on to the caller’s chunk buffer when the caller reuses it', () => {
    const reader = new CaptureReader();
    const scratch = new Uint8Array(40);
    const got: CapturedFrame[] = [];
    for (let i = 0; i < pcap.length; i += 40) {
      const n = Math.min(40, pcap.length - i);
      scratch.set(pcap.subarray(i, i + n));
      got.push(...reader.push(scratch.slice(0, n)));
    }
    reader.end();
    expect(got).toEqual(readCapture(pcap).frames);
  });
});
