import { decodeArp } from './arp.js';
import { hex16, u16 } from './bytes.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { loopbackEtherType, loopbackFamily } from './loopback.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeTcp } from './tcp.js';
import type { DecodedFrame } from './types.js';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;

/**
 * Decodes one captured frame. Never throws: problems are reported in `malformed`.
 * `origLength` is the frame's length on the wire (pcap orig_len); when it exceeds the
 * captured bytes, an IP length reaching into the missing part is not malformed and
 * `tcp.payloadLength` still comes from the IP length.
 * Byte arrays in the result (option `raw`) are views into `data`, not copies.
 */
export function decodeFrame(data: Uint8Array, linkType: number = 1, origLength: number = data.length): DecodedFrame {
  // Every key present from the start keeps one object shape for V8.
  const f: DecodedFrame = {
    linkType,
    eth: undefined,
    sll: undefined,
    arp: undefined,
    ip: undefined,
    tcp: undefined,
    other: undefined,
    malformed: null,
  };
  const wireEnd = origLength > data.length ? origLength : data.length;
  let off: number;
  let type: number;
  switch (linkType) {
    case 1:
      off = decodeEthernet(data, f);
      if (off < 0) return f;
      type = f.eth!.etherType;
      break;
    case 113:
      off = decodeSll(data, f);
      if (off < 0) return f;
      type = f.sll!.protocol;
      break;
    case 276:
      off = decodeSll2(data, f);
      if (off < 0) return f;
      type = f.sll!.protocol;
      break;
    case 0:
    case 108:
      if (data.length < 4) {
        f.malformed = `loopback header truncated: ${data.length} bytes < 4`;
        return f;
      }
      off = 4;
      type = loopbackEtherType(data);
      if (type === 0) {
        f.other = `loopback address family ${loopbackFamily(data)}`;
        return f;
      }
      break;
    case 101:
    case 12: // DLT_RAW as some BSDs write it into pcap files
    case 14:
      if (data.length < 1) {
        f.malformed = 'raw ip frame is empty';
        return f;
      }
      off = 0;
      type = data[0] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      break;
    case 228:
      off = 0;
      type = ETH_IPV4;
      break;
    case 229:
      off = 0;
      type = ETH_IPV6;
      break;
    default:
      f.other = `link type ${linkType} not decoded`;
      return f;
  }
  decodeNetwork(data, off, type, wireEnd, f);
  return f;
}

function decodeNetwork(d: Uint8Array, off: number, type: number, wireEnd: number, f: DecodedFrame): void {
  let t: number;
  if (type === ETH_IPV4) {
    t = decodeIpv4(d, off, wireEnd, f);
  } else if (type === ETH_IPV6) {
    t = decodeIpv6(d, off, wireEnd, f);
  } else if (type === ETH_ARP) {
    decodeArp(d, off, f);
    return;
  } else {
    f.other = type < 0x600 ? `802.3 frame, length ${type}` : `ethertype ${hex16(type)}`;
    return;
  }
  if (t < 0) return;
  const ip = f.ip!;
  const ipEnd = off + ip.totalLength;
  if (ip.protocol === 6) {
    decodeTcp(d, t, ipEnd, f);
  } else {
    f.other = describeTransport(d, t, ip.protocol, ip.version);
  }
}

function describeTransport(d: Uint8Array, o: number, proto: number, version: 4 | 6): string {
  const have = d.length - o;
  switch (proto) {
    case 17:
      return have >= 4 ? `UDP ${u16(d, o)} > ${u16(d, o + 2)}` : 'UDP';
    case 1:
      return have >= 2 ? `ICMP type ${d[o]} code ${d[o + 1]}` : 'ICMP';
    case 58:
      return have >= 2 ? `ICMPv6 type ${d[o]} code ${d[o + 1]}` : 'ICMPv6';
    case 132:
      return 'SCTP';
    default:
      return `IPv${version} protocol ${proto}`;
  }
}
