import { describe, expect, it } from 'vitest';
import { decodeSockaddr, encodeSockaddr, familyOf, formatIpv6, ipv6Bytes } from '../../harness/sockets/sockaddr.js';
import { AF_INET, AF_INET6 } from '../../harness/sockets/libc.js';

const hex = (b: Buffer) => b.toString('hex');
/** The text form per RFC 5952, from Node's own serialiser (WHATWG URL). */
const canonical = (a: string) => new URL(`http://[${a}]/`).hostname.slice(1, -1);

describe('familyOf', () => {
  it('tells IPv4 from IPv6', () => {
    expect(familyOf('198.18.0.1')).toBe(AF_INET);
    expect(familyOf('fd74:6370:6c00:5::1')).toBe(AF_INET6);
    expect(familyOf('::1')).toBe(AF_INET6);
  });
});

describe('encodeSockaddr', () => {
  it('IPv4: struct sockaddr_in, family little-endian, port and address in network order', () => {
    const b = encodeSockaddr({ address: '198.18.5.2', port: 8080 });
    expect(b).toHaveLength(16);
    expect(hex(b)).toBe('0200' + '1f90' + 'c6120502' + '0000000000000000');
  });

  it('IPv6: struct sockaddr_in6, flowinfo and scope 0', () => {
    const b = encodeSockaddr({ address: 'fd74:6370:6c00:5::2', port: 443 });
    expect(b).toHaveLength(28);
    expect(hex(b)).toBe('0a00' + '01bb' + '00000000' + 'fd7463706c000005' + '0000000000000002' + '00000000');
  });

  it('ports 0 and 65535', () => {
    expect(hex(encodeSockaddr({ address: '0.0.0.0', port: 0 })).slice(4, 8)).toBe('0000');
    expect(hex(encodeSockaddr({ address: '::', port: 65535 })).slice(4, 8)).toBe('ffff');
  });
});

describe('decodeSockaddr', () => {
  it('reads back what encodeSockaddr wrote', () => {
    for (const e of [
      { address: '198.18.5.2', port: 8080 },
      { address: '0.0.0.0', port: 0 },
      { address: '255.255.255.255', port: 65535 },
      { address: 'fd74:6370:6c00:5::2', port: 443 },
      { address: '::1', port: 1 },
      { address: '::', port: 0 },
      { address: 'fe80::1:2:3:4', port: 22 },
      { address: '2001:db8:0:1:1:1:1:1', port: 9 },
    ]) {
      expect(decodeSockaddr(encodeSockaddr(e))).toEqual(e);
    }
  });

  it('reads what the kernel writes: a getsockname buffer longer than the struct', () => {
    const b = Buffer.alloc(128);
    encodeSockaddr({ address: '10.1.2.3', port: 1234 }).copy(b);
    expect(decodeSockaddr(b)).toEqual({ address: '10.1.2.3', port: 1234 });
  });
});

describe('ipv6Bytes', () => {
  it('expands :: anywhere', () => {
    expect(hex(ipv6Bytes('::'))).toBe('0'.repeat(32));
    expect(hex(ipv6Bytes('::1'))).toBe('0'.repeat(31) + '1');
    expect(hex(ipv6Bytes('fd74::'))).toBe('fd74' + '0'.repeat(28));
    expect(hex(ipv6Bytes('fd74:6370:6c00:5::1'))).toBe('fd7463706c000005' + '0000000000000001');
    expect(hex(ipv6Bytes('1:2::7:8'))).toBe('00010002' + '0'.repeat(16) + '00070008');
  });

  it('reads the full form, upper case and leading zeros', () => {
    expect(hex(ipv6Bytes('2001:0db8:0000:0000:0000:ff00:0042:8329'))).toBe('20010db8000000000000ff0000428329');
    expect(hex(ipv6Bytes('2001:DB8::FF00:42:8329'))).toBe('20010db8000000000000ff0000428329');
  });

  it('reads IPv4-mapped addresses with a dotted-quad tail', () => {
    expect(hex(ipv6Bytes('::ffff:198.18.0.1'))).toBe('00000000000000000000ffffc6120001');
  });
});

describe('formatIpv6 (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['fd7463706c0000050000000000000001', 'fd74:6370:6c00:5::1'],
    ['fd7463706c0000000000000000000001', 'fd74:6370:6c00::1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'], // a single zero group is not compressed
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['20010db800000000000100000000000f', '2001:db8::1:0:0:f'],
    ['20010db8000100000000000000000001', '2001:db8:1::1'], // the longest run
    ['00010000000000000000000000000000', '1::'],
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['abcdef00000000000000000000000000', 'abcd:ef00::'],
  ];

  it.each(cases)('%s → %s', (bytes, text) => {
    expect(formatIpv6(Buffer.from(bytes, 'hex'))).toBe(text);
  });

  it('agrees with Node\'s serialiser and reads back through ipv6Bytes, on many addresses', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(16);
      // mostly zero groups, so runs of zeros of every length and position appear
      for (let g = 0; g < 8; g++) if (rand() % 3 === 0) b.writeUInt16BE(rand() & 0xffff, g * 2);
      const text = formatIpv6(b);
      expect(text, hex(b)).toBe(canonical(text));
      expect(hex(ipv6Bytes(text))).toBe(hex(b));
    }
  });
});
