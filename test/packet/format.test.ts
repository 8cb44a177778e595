import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  flagNames,
  formatIpv6,
  formatMac,
  formatOptions,
  parseIp,
  parseMac,
  summariseFrame,
  type TcpOption,
} from '../../harness/packet/index.js';
import { LINUX_SYN_OPTIONS, tcpFrame } from './fixtures.js';

describe('IPv6 text (RFC 5952)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of equal runs
    ['2001:DB8::ABCD', '2001:db8::abcd'], // lower case
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['fe80::1', 'fe80::1'],
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped keeps the dotted quad
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::192.0.2.1'], // IPv4-compatible, as inet_ntop writes it
    ['::1:0:0:0', '::1:0:0:0'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('%s → %s', (input, text) => {
    expect(formatIpv6(parseIp(input), 0)).toBe(text);
  });

  it('agrees with the WHATWG URL serialiser on random addresses, and round-trips', () => {
    const embedsV4 = (b: Uint8Array) =>
      b.subarray(0, 10).every((x) => x === 0) && ((b[10] === 0 && b[11] === 0) || (b[10] === 0xff && b[11] === 0xff));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
          // zero runs are what is interesting: zero out random groups
          const out = b.slice();
          for (let g = 0; g < 8; g++) if (out[2 * g] % 3 === 0) out[2 * g] = out[2 * g + 1] = 0;
          return out;
        }),
        (b) => {
          const text = formatIpv6(b, 0);
          expect(parseIp(text)).toEqual(b);
          if (!embedsV4(b)) expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reuses cached strings but never returns a stale one', () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const b = new Uint8Array(16);
      b[0] = 0xfd;
      b[14] = (i * 7919) & 255;
      b[15] = (i * 104729) & 255;
      const key = `${b[14]}.${b[15]}`;
      const text = formatIpv6(b, 0);
      expect(text).toBe(seen.get(key) ?? text);
      seen.set(key, text);
      expect(parseIp(text)).toEqual(b);
    }
  });
});

describe('address parsing', () => {
  it('parses IPv4, IPv6 and MACs and rejects garbage', () => {
    expect(parseIp('192.0.2.255')).toEqual(Uint8Array.of(192, 0, 2, 255));
    expect(parseIp('fe80::1%eth0')).toEqual(parseIp('fe80::1'));
    for (const bad of ['256.0.0.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', 'x::1', '12345::', '']) {
      expect(() => parseIp(bad)).toThrow(TypeError);
    }
    expect(formatMac(parseMac('02:AB:cd:00:01:ff'), 0)).toBe('02:ab:cd:00:01:ff');
    expect(() => parseMac('02:00:00:00:00')).toThrow(TypeError);
  });
});

describe('formatOptions', () => {
  const syn = decodeFrame(tcpFrame({ options: LINUX_SYN_OPTIONS })).tcp!.options;

  it('writes the short option text with and without timestamp values', () => {
    expect(formatOptions(syn)).toBe('mss 1460,sackOK,ts 123456 0,nop,wscale 7');
    expect(formatOptions(syn, { tsValues: false })).toBe('mss 1460,sackOK,ts,nop,wscale 7');
    expect(formatOptions([])).toBe('');
  });

  it('names every kind', () => {
    const opts: TcpOption[] = [
      { kind: 1, name: 'nop', length: 1 },
      { kind: 5, name: 'sack', length: 18, sack: [1, 2, 3, 4] },
      { kind: 19, name: 'md5', length: 18, raw: new Uint8Array(16) },
      { kind: 29, name: 'ao', length: 6, raw: Uint8Array.of(3, 4, 0, 0) },
      { kind: 30, name: 'mptcp', length: 4, raw: Uint8Array.of(0x10, 0), subtype: 1 },
      { kind: 34, name: 'fastopen', length: 6, raw: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) },
      { kind: 34, name: 'fastopen', length: 2, raw: new Uint8Array(0) },
      { kind: 254, name: 'exp', length: 4, raw: Uint8Array.of(0xf9, 0x89), exid: 0xf989 },
      { kind: 253, name: 'exp', length: 2, raw: new Uint8Array(0) },
      { kind: 77, name: 'unknown', length: 3, raw: Uint8Array.of(1) },
      { kind: 2, name: 'mss', length: 3, raw: Uint8Array.of(1) },
      { kind: 0, name: 'eol', length: 1 },
    ];
    expect(formatOptions(opts)).toBe(
      'nop,sack 1:2 3:4,md5,ao keyid 3 rnext 4,mptcp 1,fastopen deadbeef,fastopen,exp 254 0xf989,exp 253,unknown 77 len 3,mss len 3,eol',
    );
  });

  it('writes SACK blocks relative to the base the relative ack of the segment counts from, across the wrap', () => {
    const sack: TcpOption[] = [{ kind: 5, name: 'sack', length: 18, sack: [4294967295, 5, 3879440921, 3879441953] }];
    expect(formatOptions(sack, { sackBase: 4294967290 })).toBe('sack 5:11 3879440927:3879441959');
    expect(formatOptions(sack, { sackBase: 3879439473 })).toBe('sack 415527822:415527828 1448:2480');
    expect(formatOptions(sack)).toBe('sack 4294967295:5 3879440921:3879441953');
  });
});

describe('flagNames', () => {
  it('uses the fixed order SYN FIN RST PSH ACK URG ECE CWR', () => {
    expect(flagNames(0x02)).toBe('SYN');
    expect(flagNames(0x12)).toBe('SYN ACK');
    expect(flagNames(0x11)).toBe('FIN ACK');
    expect(flagNames(0x19)).toBe('FIN PSH ACK');
    expect(flagNames(0x14)).toBe('RST ACK');
    expect(flagNames(0x18)).toBe('PSH ACK');
    expect(flagNames(0xc2)).toBe('SYN ECE CWR');
    expect(flagNames(0xff)).toBe('SYN FIN RST PSH ACK URG ECE CWR');
    expect(flagNames(0)).toBe('');
  });
});

describe('summariseFrame', () => {
  it('summarises TCP, IPv6, ARP and malformed frames on one line', () => {
    expect(summariseFrame(decodeFrame(tcpFrame({ options: LINUX_SYN_OPTIONS })))).toBe(
      '10.0.0.1:40000 > 10.0.0.2:80 SYN seq 1000 win 64240 len 0 <mss 1460,sackOK,ts 123456 0,nop,wscale 7>',
    );
    expect(summariseFrame(decodeFrame(tcpFrame({ src: 'fd00::1', dst: 'fd00::2', flags: 'A', ack: 5 })))).toBe(
      '[fd00::1]:40000 > [fd00::2]:80 ACK seq 1000 ack 5 win 64240 len 0',
    );
    expect(summariseFrame(decodeFrame(tcpFrame({ dataOffset: 3 })))).toBe(
      '10.0.0.1:40000 > 10.0.0.2:80 SYN seq 1000 win 64240 len 0 [malformed: tcp data offset 3 < 5]',
    );
    const arp = Uint8Array.from([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    expect(summariseFrame(decodeFrame(arp))).toBe('ARP who-has 10.0.0.2 tell 10.0.0.1');
    arp[21] = 2;
    expect(summariseFrame(decodeFrame(arp))).toBe('ARP 10.0.0.1 is-at 02:00:00:00:00:01');
    expect(summariseFrame(decodeFrame(new Uint8Array(5)))).toBe('link type 1 [malformed: ethernet header truncated: 5 bytes < 14]');
  });
});
