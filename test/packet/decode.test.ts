import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, LinkType, type TcpOptionSpec } from '../../harness/packet/index.js';
import { concat, ipPacket, LINUX_SYN_OPTIONS, tcpFrame, withIpv6Extensions } from './fixtures.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('Ethernet + IPv4 + TCP', () => {
  it('decodes every header field and the options of a Linux SYN', () => {
    const frame = tcpFrame({ seq: 0xfffffff0, ack: 0, flags: 'S', win: 64240, options: LINUX_SYN_OPTIONS, ttl: 63, tos: 0x10, ipId: 4242 });
    const f = decodeFrame(frame);
    expect(f.malformed).toBeNull();
    expect(f.eth).toEqual({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: 0x0800, vlans: [] });
    expect(f.ip).toMatchObject({
      version: 4,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 6,
      ttl: 63,
      tos: 0x10,
      id: 4242,
      dontFragment: true,
      totalLength: 60,
      headerLength: 20,
      fragment: false,
      offset: 14,
    });
    expect(f.tcp).toMatchObject({
      sport: 40000,
      dport: 80,
      seq: 0xfffffff0,
      ack: 0,
      dataOffset: 10,
      flags: 0x02,
      flagString: 'S',
      win: 64240,
      urgent: 0,
      payloadOffset: 74,
      payloadLength: 0,
    });
    expect(f.tcp!.options).toEqual([
      { kind: 2, name: 'mss', length: 4, mss: 1460 },
      { kind: 4, name: 'sackOK', length: 2 },
      { kind: 8, name: 'ts', length: 10, tsval: 123456, tsecr: 0 },
      { kind: 1, name: 'nop', length: 1 },
      { kind: 3, name: 'wscale', length: 3, wscale: 7 },
    ]);
    expect(f.tcp!.checksum).toBe((frame[50] << 8) | frame[51]);
  });

  it('gives flag letters in the order F S R P A U E C', () => {
    expect(decodeFrame(tcpFrame({ flags: 0xff })).tcp!.flagString).toBe('FSRPAUEC');
    expect(decodeFrame(tcpFrame({ flags: 0x12 })).tcp!.flagString).toBe('SA');
    expect(decodeFrame(tcpFrame({ flags: 0x11 })).tcp!.flagString).toBe('FA');
    expect(decodeFrame(tcpFrame({ flags: 0x14 })).tcp!.flagString).toBe('RA');
    expect(decodeFrame(tcpFrame({ flags: 0 })).tcp!.flagString).toBe('');
  });

  it('takes the payload length from the IP length, not from Ethernet padding', () => {
    const frame = tcpFrame({ flags: 'A' }); // 54 bytes
    const padded = concat([frame, new Uint8Array(6).fill(0xee)]);
    const f = decodeFrame(padded);
    expect(f.malformed).toBeNull();
    expect(f.tcp!.payloadLength).toBe(0);
  });

  it('reads a payload and the urgent pointer', () => {
    const f = decodeFrame(tcpFrame({ flags: 'PAU', urgent: 7, payload: new Uint8Array(100).fill(1) }));
    expect(f.tcp!.payloadLength).toBe(100);
    expect(f.tcp!.payloadOffset).toBe(54);
    expect(f.tcp!.urgent).toBe(7);
    expect(f.tcp!.flagString).toBe('PAU');
  });

  it('decodes 802.1Q and QinQ tags', () => {
    const single = decodeFrame(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, flags: 'S', vlans: [100] }));
    expect(single.malformed).toBeNull();
    expect(single.eth!.vlans).toEqual([100]);
    expect(single.eth!.etherType).toBe(0x0800);
    expect(single.tcp!.sport).toBe(1);

    const inner = encodeFrame({ src: 'fd00::1', dst: 'fd00::2', sport: 1, dport: 2, seq: 1, flags: 'S', vlans: [20] });
    // outer 802.1ad tag (0x88a8, VID 10) in front of the 802.1Q one
    const qinq = concat([inner.subarray(0, 12), bytes(0x88, 0xa8, 0x00, 10), inner.subarray(12)]);
    const f = decodeFrame(qinq);
    expect(f.malformed).toBeNull();
    expect(f.eth!.vlans).toEqual([10, 20]);
    expect(f.eth!.etherType).toBe(0x86dd);
    expect(f.tcp!.dport).toBe(2);
  });
});

describe('link types', () => {
  const frame = tcpFrame({ flags: 'SA', seq: 5, ack: 6, options: LINUX_SYN_OPTIONS });
  const ip4 = ipPacket(frame);
  const ip6 = ipPacket(encodeFrame({ src: 'fd00::1', dst: 'fd00::2', sport: 7, dport: 8, seq: 9, flags: 'S' }));

  it('decodes Linux SLL', () => {
    const sll = concat([bytes(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00), ip4]);
    const f = decodeFrame(sll, LinkType.LINUX_SLL);
    expect(f.malformed).toBeNull();
    expect(f.sll).toEqual({ packetType: 4, arphrd: 1, address: '02:00:00:00:00:01', protocol: 0x0800 });
    expect(f.tcp!.flagString).toBe('SA');
    expect(f.tcp!.options).toHaveLength(5);
  });

  it('decodes Linux SLL2', () => {
    const sll2 = concat([bytes(0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 2, 0, 0), ip6]);
    const f = decodeFrame(sll2, LinkType.LINUX_SLL2);
    expect(f.malformed).toBeNull();
    expect(f.sll).toEqual({ packetType: 0, arphrd: 1, address: '02:00:00:00:00:02', protocol: 0x86dd, ifindex: 3 });
    expect(f.ip!.src).toBe('fd00::1');
    expect(f.tcp!.sport).toBe(7);
  });

  it('decodes raw IP (101 picks the version from the header; 228 / 229 are fixed)', () => {
    expect(decodeFrame(ip4, LinkType.RAW).tcp!.seq).toBe(5);
    expect(decodeFrame(ip6, LinkType.RAW).tcp!.seq).toBe(9);
    expect(decodeFrame(ip4, LinkType.IPV4).tcp!.seq).toBe(5);
    expect(decodeFrame(ip6, LinkType.IPV6).tcp!.seq).toBe(9);
    expect(decodeFrame(ip4, LinkType.IPV6).malformed).toMatch(/ip version 4 where ipv6 was expected/);
    expect(decodeFrame(ip6, LinkType.IPV4).malformed).toMatch(/ip version 6 where ipv4 was expected/);
    expect(decodeFrame(new Uint8Array(0), LinkType.RAW).malformed).toMatch(/empty/);
  });

  it('decodes null / loopback with the family word in either byte order', () => {
    for (const lt of [LinkType.NULL, LinkType.LOOP]) {
      expect(decodeFrame(concat([bytes(2, 0, 0, 0), ip4]), lt).tcp!.seq).toBe(5);
      expect(decodeFrame(concat([bytes(0, 0, 0, 2), ip4]), lt).tcp!.seq).toBe(5);
      for (const fam of [10, 24, 28, 30]) {
        expect(decodeFrame(concat([bytes(fam, 0, 0, 0), ip6]), lt).tcp!.seq).toBe(9);
        expect(decodeFrame(concat([bytes(0, 0, 0, fam), ip6]), lt).tcp!.seq).toBe(9);
      }
      const unknown = decodeFrame(concat([bytes(7, 0, 0, 0), ip4]), lt);
      expect(unknown.tcp).toBeUndefined();
      expect(unknown.other).toBe('loopback address family 7');
      expect(unknown.malformed).toBeNull();
      expect(decodeFrame(bytes(2, 0), lt).malformed).toMatch(/loopback header truncated/);
    }
  });

  it('reports link types it does not decode without calling them malformed', () => {
    const f = decodeFrame(ip4, 147);
    expect(f.other).toBe('link type 147 not decoded');
    expect(f.malformed).toBeNull();
  });

  it('marks short link headers malformed', () => {
    expect(decodeFrame(new Uint8Array(13)).malformed).toBe('ethernet header truncated: 13 bytes < 14');
    expect(decodeFrame(concat([new Uint8Array(12), bytes(0x81, 0x00, 0)])).malformed).toBe('vlan tag truncated at byte 14');
    expect(decodeFrame(new Uint8Array(15), LinkType.LINUX_SLL).malformed).toMatch(/sll header truncated/);
    expect(decodeFrame(new Uint8Array(19), LinkType.LINUX_SLL2).malformed).toMatch(/sll2 header truncated/);
  });
});

describe('ARP and other protocols', () => {
  const eth = (type: number, body: number[]): Uint8Array =>
    concat([bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, type >> 8, type & 255), Uint8Array.from(body)]);

  it('decodes an ARP request and reply', () => {
    const req = eth(0x0806, [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    const f = decodeFrame(req);
    expect(f.malformed).toBeNull();
    expect(f.arp).toEqual({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    expect(decodeFrame(eth(0x0806, [0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2])).malformed).toBe('arp packet truncated: 14 bytes < 28');
    expect(decodeFrame(eth(0x0806, [0, 1, 8])).malformed).toBe('arp header truncated: 3 bytes < 8');
    expect(decodeFrame(eth(0x0806, [0, 6, 8, 0, 6, 4, 0, 1])).other).toBe('ARP hardware 6 protocol 0x0800 op 1');
  });

  it('describes other ethertypes, 802.3 frames, UDP, ICMP and ICMPv6', () => {
    expect(decodeFrame(eth(0x88cc, [1, 2, 3])).other).toBe('ethertype 0x88cc');
    expect(decodeFrame(eth(46, [0xaa, 0xaa, 3])).other).toBe('802.3 frame, length 46');
    const ip = (proto: number, body: number[]): Uint8Array => {
      const len = 20 + body.length;
      return eth(0x0800, [0x45, 0, len >> 8, len & 255, 0, 0, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...body]);
    };
    expect(decodeFrame(ip(17, [0x14, 0xe9, 0x14, 0xe9, 0, 8, 0, 0])).other).toBe('UDP 5353 > 5353');
    expect(decodeFrame(ip(1, [8, 0, 0, 0])).other).toBe('ICMP type 8 code 0');
    expect(decodeFrame(ip(47, [0, 0])).other).toBe('IPv4 protocol 47');
    const icmp6 = encodeFrame({ src: 'fe80::1', dst: 'ff02::2', sport: 0x8500, dport: 0, seq: 0, flags: 0 });
    icmp6[14 + 6] = 58; // same bytes, now read as ICMPv6 router solicitation
    expect(decodeFrame(icmp6).other).toBe('ICMPv6 type 133 code 0');
    expect(decodeFrame(icmp6).ip!.protocol).toBe(58);
  });
});

describe('IPv4', () => {
  it('skips header options to the TCP header', () => {
    const plain = tcpFrame({ flags: 'PA', payload: bytes(1, 2, 3) });
    const ip = plain.subarray(14);
    const opts = bytes(0x94, 0x04, 0, 0, 1, 1, 1, 0); // router alert + NOP NOP NOP EOL (8 bytes)
    const withOpts = concat([plain.subarray(0, 14), ip.subarray(0, 20), opts, ip.subarray(20)]);
    withOpts[14] = 0x47; // IHL 7
    const total = 20 + 8 + 20 + 3;
    withOpts[16] = total >> 8;
    withOpts[17] = total & 255;
    const f = decodeFrame(withOpts);
    expect(f.malformed).toBeNull();
    expect(f.ip!.headerLength).toBe(28);
    expect(f.tcp!.sport).toBe(40000);
    expect(f.tcp!.payloadLength).toBe(3);
    expect(f.tcp!.payloadOffset).toBe(14 + 28 + 20);
  });

  it('marks fragments and does not decode them as TCP', () => {
    const first = tcpFrame({ flags: 'PA', payload: new Uint8Array(40) });
    first[14 + 6] = 0x20; // MF, offset 0
    let f = decodeFrame(first);
    expect(f.ip!.fragment).toBe(true);
    expect(f.tcp).toBeUndefined();
    expect(f.malformed).toBeNull();
    expect(f.other).toBe('IPv4 fragment: protocol 6 offset 0 MF');

    const later = tcpFrame({ flags: 'PA', payload: new Uint8Array(40) });
    later[14 + 6] = 0x00;
    later[14 + 7] = 0x05; // offset 40 bytes, DF cleared
    f = decodeFrame(later);
    expect(f.ip!.fragment).toBe(true);
    expect(f.ip!.dontFragment).toBe(false);
    expect(f.tcp).toBeUndefined();
    expect(f.other).toBe('IPv4 fragment: protocol 6 offset 40');
  });

  it('treats total length 0 as a TSO capture and uses the frame length', () => {
    const frame = tcpFrame({ flags: 'PA', payload: new Uint8Array(3000) });
    frame[16] = 0;
    frame[17] = 0;
    const f = decodeFrame(frame);
    expect(f.malformed).toBeNull();
    expect(f.tcp!.payloadLength).toBe(3000);
  });

  it('marks bad header lengths and total lengths', () => {
    const frame = tcpFrame({ flags: 'A' });
    const bad = (patch: (b: Uint8Array) => void, orig?: number): string | null => {
      const b = frame.slice();
      patch(b);
      return decodeFrame(b, 1, orig).malformed;
    };
    expect(bad((b) => (b[14] = 0x44))).toBe('ipv4 header length 16 < 20');
    expect(bad((b) => (b[17] = 19))).toBe('ipv4 header length 20 > total length 19');
    expect(bad((b) => (b[17] = 41))).toBe('ipv4 total length 41 > 40 bytes in the frame');
    expect(bad((b) => (b[17] = 41), 55)).toBeNull();
    expect(bad((b) => (b[14] = 0x55))).toBe('ip version 5 where ipv4 was expected');
    expect(decodeFrame(frame.subarray(0, 30)).malformed).toBe('ipv4 header truncated: 16 bytes < 20');
    const longHeader = frame.slice();
    longHeader[14] = 0x4f; // 60-byte header, the captured frame ends before
    longHeader[17] = 100;
    expect(decodeFrame(longHeader, 1, 200).malformed).toBe('ipv4 header truncated by the capture: 40 of 60 bytes');
  });
});

describe('IPv6', () => {
  const v6 = (payload = new Uint8Array(0)): Uint8Array =>
    encodeFrame({ src: '2001:db8::1', dst: '2001:db8::2', sport: 443, dport: 50000, seq: 77, ack: 88, flags: 'PA', payload, flowLabel: 0xabcde, tos: 0x28, ttl: 50 });

  it('decodes the fixed header', () => {
    const f = decodeFrame(v6(new Uint8Array(5)));
    expect(f.malformed).toBeNull();
    expect(f.ip).toMatchObject({ version: 6, src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, ttl: 50, tos: 0x28, flowLabel: 0xabcde, totalLength: 40 + 25, headerLength: 40, fragment: false });
    expect(f.tcp!.payloadLength).toBe(5);
  });

  it('walks hop-by-hop, routing, destination options and AH to TCP', () => {
    const frame = withIpv6Extensions(v6(new Uint8Array(10)), [
      { type: 0, bytes: [0, 0, 1, 4, 0, 0, 0, 0] }, // hop-by-hop, PadN
      { type: 43, bytes: [0, 2, 0, 1, 0, 0, 0, 0, ...new Array(16).fill(0x20)] }, // routing type 0, 1 address
      { type: 60, bytes: [0, 1, 1, 12, ...new Array(12).fill(0)] }, // destination options, 16 bytes
      { type: 51, bytes: [0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }, // AH, 24 bytes
    ]);
    const f = decodeFrame(frame);
    expect(f.malformed).toBeNull();
    expect(f.ip!.protocol).toBe(6);
    expect(f.ip!.headerLength).toBe(40 + 8 + 24 + 16 + 24);
    expect(f.tcp!.sport).toBe(443);
    expect(f.tcp!.seq).toBe(77);
    expect(f.tcp!.payloadLength).toBe(10);
  });

  it('decodes an atomic fragment (RFC 6946) but not a real fragment', () => {
    const atomic = decodeFrame(withIpv6Extensions(v6(), [{ type: 44, bytes: [0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78] }]));
    expect(atomic.ip!.fragment).toBe(true);
    expect(atomic.ip!.id).toBe(0x12345678);
    expect(atomic.tcp!.seq).toBe(77);
    const first = decodeFrame(withIpv6Extensions(v6(), [{ type: 44, bytes: [0, 0, 0, 1, 0, 0, 0, 9] }]));
    expect(first.ip!.fragment).toBe(true);
    expect(first.tcp).toBeUndefined();
    expect(first.other).toBe('IPv6 fragment: next header 6 offset 0 M');
    expect(first.malformed).toBeNull();
    const later = decodeFrame(withIpv6Extensions(v6(), [{ type: 0, bytes: [0, 0, 1, 4, 0, 0, 0, 0] }, { type: 44, bytes: [0, 0, 0x05, 0x08, 0, 0, 0, 9] }]));
    expect(later.tcp).toBeUndefined();
    expect(later.other).toBe('IPv6 fragment: next header 6 offset 1288');
  });

  it('stops at ESP and at no-next-header', () => {
    const esp = withIpv6Extensions(v6(), [{ type: 60, bytes: [0, 0, 1, 4, 0, 0, 0, 0] }]);
    esp[14 + 40] = 50;
    expect(decodeFrame(esp).other).toBe('IPv6 ESP');
    expect(decodeFrame(esp).ip!.protocol).toBe(50);
    const none = v6();
    none[14 + 6] = 59;
    expect(decodeFrame(none).other).toBe('IPv6 no next header');
  });

  it('marks extension headers running past the payload or the capture', () => {
    const frame = withIpv6Extensions(v6(), [{ type: 0, bytes: [0, 0, 1, 4, 0, 0, 0, 0] }]);
    const long = frame.slice();
    long[14 + 41] = 200; // hop-by-hop claims 1608 bytes
    expect(decodeFrame(long).malformed).toBe('ipv6 extension header 0 at byte 54 runs past the payload');
    expect(decodeFrame(frame.subarray(0, 58), 1, frame.length).malformed).toBe(
      'ipv6 extension header 0 at byte 54 truncated by the capture (58 bytes captured)',
    );
  });

  it('marks a payload length beyond the frame, and a short header', () => {
    const frame = v6();
    frame[14 + 5] += 1;
    expect(decodeFrame(frame).malformed).toBe('ipv6 payload length 21 > 20 bytes in the frame');
    expect(decodeFrame(frame.subarray(0, 50)).malformed).toBe('ipv6 header truncated: 36 bytes < 40');
  });

  it('uses the frame length when the payload length is 0 (jumbo / BIG TCP capture)', () => {
    const frame = v6(new Uint8Array(1000));
    frame[18] = 0;
    frame[19] = 0;
    const f = decodeFrame(frame);
    expect(f.malformed).toBeNull();
    expect(f.tcp!.payloadLength).toBe(1000);
  });
});

describe('TCP options', () => {
  const opts = (options: TcpOptionSpec[]) => decodeFrame(tcpFrame({ options, pad: false }));

  it('decodes SACK blocks flattened, MD5, AO, MPTCP, Fast Open, experimental and unknown kinds', () => {
    const f = opts([
      { kind: 1 },
      { kind: 1 },
      { kind: 5, sack: [1000, 2000, 3000, 4000] },
      { kind: 19, raw: new Uint8Array(16).fill(0xab) },
      { kind: 1 },
      { kind: 1 },
    ]);
    expect(f.malformed).toBeNull();
    expect(f.tcp!.options.map((o) => o.name)).toEqual(['nop', 'nop', 'sack', 'md5', 'nop', 'nop']);
    expect(f.tcp!.options[2]).toEqual({ kind: 5, name: 'sack', length: 18, sack: [1000, 2000, 3000, 4000] });
    expect(f.tcp!.options[3].raw).toEqual(new Uint8Array(16).fill(0xab));
    expect(f.tcp!.options[3].length).toBe(18);

    const g = opts([
      { kind: 1 },
      { kind: 29, raw: bytes(1, 2, 0xaa, 0xbb, 0xcc, 0xdd) },
      { kind: 30, raw: bytes(0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8) },
      { kind: 34, raw: bytes(1, 2, 3, 4, 5, 6, 7, 8) },
      { kind: 34 },
      { kind: 254, raw: bytes(0xf9, 0x89) },
      { kind: 253, raw: bytes(0x12) },
    ]);
    expect(g.malformed).toBeNull();
    expect(g.tcp!.options).toEqual([
      { kind: 1, name: 'nop', length: 1 },
      { kind: 29, name: 'ao', length: 8, raw: bytes(1, 2, 0xaa, 0xbb, 0xcc, 0xdd) },
      { kind: 30, name: 'mptcp', length: 12, raw: bytes(0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8), subtype: 0 },
      { kind: 34, name: 'fastopen', length: 10, raw: bytes(1, 2, 3, 4, 5, 6, 7, 8) },
      { kind: 34, name: 'fastopen', length: 2, raw: bytes() },
      { kind: 254, name: 'exp', length: 4, raw: bytes(0xf9, 0x89), exid: 0xf989 },
      { kind: 253, name: 'exp', length: 3, raw: bytes(0x12) },
    ]);

    const u = opts([{ kind: 99, raw: bytes(9, 8, 7, 6, 5, 4) }]);
    expect(u.tcp!.options).toEqual([{ kind: 99, name: 'unknown', length: 8, raw: bytes(9, 8, 7, 6, 5, 4) }]);
  });

  it('goes on after EOL like tshark, but bytes after an EOL never make the frame malformed', () => {
    const padded = opts([{ kind: 3, wscale: 7 }, { kind: 0 }, { kind: 0 }, { kind: 0 }, { kind: 0 }, { kind: 0 }]);
    expect(padded.malformed).toBeNull();
    expect(padded.tcp!.options.map((o) => o.name)).toEqual(['wscale', 'eol', 'eol', 'eol', 'eol', 'eol']);
    const after = opts([{ kind: 0 }, { kind: 2, mss: 536 }, { kind: 1 }, { kind: 1 }, { kind: 1 }]);
    expect(after.malformed).toBeNull();
    expect(after.tcp!.options.map((o) => o.name)).toEqual(['eol', 'mss', 'nop', 'nop', 'nop']);
    const garbage = opts([{ kind: 2, mss: 536 }, { kind: 0 }, { bytes: bytes(8, 1, 9) }]);
    expect(garbage.malformed).toBeNull();
    expect(garbage.tcp!.options.map((o) => o.name)).toEqual(['mss', 'eol']);
    const badLength = opts([{ kind: 0 }, { bytes: bytes(2, 3, 1) }]);
    expect(badLength.malformed).toBeNull();
    expect(badLength.tcp!.options.map((o) => o.name)).toEqual(['eol', 'mss']);
  });

  it.each([
    [[{ bytes: bytes(2, 0, 1, 1) }], 'tcp option 2 length 0 < 2'],
    [[{ bytes: bytes(8, 1, 1, 1) }], 'tcp option 8 length 1 < 2'],
    [[{ bytes: bytes(1, 1, 1, 1, 1, 1, 3, 3) }], 'tcp option 3 length 3 runs past the header (2 bytes left)'],
    [[{ bytes: bytes(1, 1, 1, 8) }], 'tcp option 8 at header byte 23 has no length byte'],
    [[{ bytes: bytes(2, 3, 5, 1) }], 'tcp option 2 (mss) length 3, expected 4'],
    [[{ bytes: bytes(3, 4, 7, 1) }], 'tcp option 3 (wscale) length 4, expected 3'],
    [[{ bytes: bytes(4, 3, 0, 1) }], 'tcp option 4 (sackOK) length 3, expected 2'],
    [[{ bytes: bytes(5, 6, 0, 0, 0, 1, 1, 1) }], 'tcp option 5 (sack) length 6, expected 2 + 8n (n >= 1)'],
    [[{ bytes: bytes(8, 8, 0, 0, 0, 1, 0, 0) }], 'tcp option 8 (ts) length 8, expected 10'],
    [[{ bytes: bytes(19, 4, 0, 0) }], 'tcp option 19 (md5) length 4, expected 18'],
  ])('marks malformed option %j', (options, reason) => {
    const f = opts(options);
    expect(f.malformed).toBe(reason);
    expect(f.tcp).toBeDefined();
  });

  it('keeps the options before a bad one', () => {
    const f = opts([{ kind: 2, mss: 1460 }, { kind: 1 }, { bytes: bytes(8, 0, 0) }]);
    expect(f.malformed).toBe('tcp option 8 length 0 < 2');
    expect(f.tcp!.options.map((o) => o.name)).toEqual(['mss', 'nop']);
  });
});

describe('TCP header faults', () => {
  it('marks a data offset below 5 and one past the segment', () => {
    let f = decodeFrame(tcpFrame({ dataOffset: 4 }));
    expect(f.malformed).toBe('tcp data offset 4 < 5');
    expect(f.tcp!.sport).toBe(40000);
    expect(f.tcp!.payloadLength).toBe(0);
    f = decodeFrame(tcpFrame({ dataOffset: 6 }));
    expect(f.malformed).toBe('tcp data offset 6 (24 bytes) past the segment (20 bytes)');
    f = decodeFrame(tcpFrame({ dataOffset: 15, payload: new Uint8Array(30) }));
    expect(f.malformed).toBe('tcp data offset 15 (60 bytes) past the segment (50 bytes)');
  });

  it('accepts a payload cut by the snaplen when origLength covers it', () => {
    const frame = tcpFrame({ flags: 'PA', options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 1, tsecr: 2 }], payload: new Uint8Array(1000) });
    const cut = frame.subarray(0, 96);
    const ok = decodeFrame(cut, 1, frame.length);
    expect(ok.malformed).toBeNull();
    expect(ok.tcp!.payloadLength).toBe(1000);
    expect(ok.tcp!.options[2].tsecr).toBe(2);
    expect(decodeFrame(cut).malformed).toBe('ipv4 total length 1052 > 82 bytes in the frame');
  });

  it('marks a TCP header cut by the snaplen', () => {
    const frame = tcpFrame({ options: LINUX_SYN_OPTIONS });
    expect(decodeFrame(frame.subarray(0, 60), 1, frame.length).malformed).toBe('tcp header truncated by the capture: 26 of 40 bytes');
    expect(decodeFrame(frame.subarray(0, 40), 1, frame.length).malformed).toBe('tcp header truncated by the capture: 6 of 20 bytes');
  });

  it('marks a segment shorter than a TCP header', () => {
    const frame = tcpFrame();
    frame[17] = 30; // IP total length 30: 10 bytes for TCP
    frame[24] = 0;
    frame[25] = 0;
    expect(decodeFrame(frame).malformed).toBe('tcp segment length 10 < 20');
  });
});
