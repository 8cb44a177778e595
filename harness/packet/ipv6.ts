import { formatIpv6 } from './addr.js';
import { u16 } from './bytes.js';
import type { DecodedFrame } from './types.js';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const ESP = 50;
const AH = 51;
const NO_NEXT = 59;
const DEST_OPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;

/** Extension headers in the generic (next header, length in 8-octet units beyond the first) layout. */
function isGenericExt(nh: number): boolean {
  return nh === HOP_BY_HOP || nh === ROUTING || nh === DEST_OPTS || nh === MOBILITY || nh === HIP || nh === SHIM6;
}

/**
 * Decodes an IPv6 header at o into f.ip and walks the extension header chain
 * (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP, shim6).
 * f.ip.protocol is the final next header. Returns the upper-layer header offset,
 * or -1 when nothing further can be decoded (malformed, ESP, no next header, or a
 * non-first fragment). An atomic fragment (offset 0, M clear, RFC 6946) is marked
 * `fragment` and still decoded. A payload length of 0 (jumbogram, or a BIG TCP / GSO
 * capture) is replaced by the bytes available.
 */
export function decodeIpv6(d: Uint8Array, o: number, wireEnd: number, f: DecodedFrame): number {
  const avail = d.length - o;
  if (avail < 40) {
    f.malformed = `ipv6 header truncated: ${avail < 0 ? 0 : avail} bytes < 40`;
    return -1;
  }
  const version = d[o] >> 4;
  if (version !== 6) {
    f.malformed = `ip version ${version} where ipv6 was expected`;
    return -1;
  }
  let plen = u16(d, o + 4);
  if (plen === 0) plen = wireEnd - o - 40;
  const total = 40 + plen;
  const ip = {
    version: 6 as const,
    src: formatIpv6(d, o + 8),
    dst: formatIpv6(d, o + 24),
    protocol: d[o + 6],
    ttl: d[o + 7],
    totalLength: total,
    headerLength: 40,
    fragment: false,
    tos: ((d[o] & 15) << 4) | (d[o + 1] >> 4),
    id: undefined as number | undefined,
    dontFragment: undefined,
    flowLabel: ((d[o + 1] & 15) << 16) | u16(d, o + 2),
    offset: o,
  };
  f.ip = ip;
  if (total > wireEnd - o) {
    f.malformed = `ipv6 payload length ${plen} > ${wireEnd - o - 40} bytes in the frame`;
    return -1;
  }
  const end = o + total;
  let nh = ip.protocol;
  let p = o + 40;
  for (;;) {
    let len: number;
    if (isGenericExt(nh)) {
      if (p + 2 > end || p + 2 > d.length) return extBad(f, nh, p, p + 2, end, d.length);
      len = (d[p + 1] + 1) * 8;
    } else if (nh === AH) {
      if (p + 2 > end || p + 2 > d.length) return extBad(f, nh, p, p + 2, end, d.length);
      len = (d[p + 1] + 2) * 4;
    } else if (nh === FRAGMENT) {
      len = 8;
    } else {
      break;
    }
    if (p + len > end || p + len > d.length) return extBad(f, nh, p, p + len, end, d.length);
    const next = d[p];
    if (nh === FRAGMENT) {
      ip.fragment = true;
      const word = u16(d, p + 2);
      ip.id = ((d[p + 4] << 24) | (d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]) >>> 0;
      const offset = word & 0xfff8;
      const more = (word & 1) !== 0;
      if (offset !== 0 || more) {
        ip.protocol = next;
        ip.headerLength = p + len - o;
        f.other = `IPv6 fragment: next header ${next} offset ${offset}${more ? ' M' : ''}`;
        return -1;
      }
    }
    nh = next;
    p += len;
  }
  ip.protocol = nh;
  ip.headerLength = p - o;
  if (nh === ESP) {
    f.other = 'IPv6 ESP';
    return -1;
  }
  if (nh === NO_NEXT) {
    f.other = 'IPv6 no next header';
    return -1;
  }
  return p;
}

function extBad(f: DecodedFrame, nh: number, p: number, need: number, end: number, captured: number): number {
  f.malformed =
    need > end
      ? `ipv6 extension header ${nh} at byte ${p} runs past the payload`
      : `ipv6 extension header ${nh} at byte ${p} truncated by the capture (${captured} bytes captured)`;
  return -1;
}
