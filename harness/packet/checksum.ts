import type { DecodedFrame } from './types.js';

/** One's-complement sum of 16-bit big-endian words of d[start, end), not yet folded or inverted. */
export function onesSum(d: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (d[i] << 8) | d[i + 1];
  if (i < end) sum += d[i] << 8;
  return sum;
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** RFC 1071 checksum of d[start, end). */
export function internetChecksum(d: Uint8Array, start = 0, end = d.length): number {
  return foldChecksum(onesSum(d, start, end));
}

/**
 * Sum of the TCP/UDP pseudo header: addresses, protocol and upper-layer length
 * (IPv4: RFC 793; IPv6: RFC 8200 §8.1).
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = onesSum(src, 0, src.length) + onesSum(dst, 0, dst.length);
  sum += protocol;
  sum += Math.floor(length / 0x10000) + (length & 0xffff);
  return sum;
}

export interface ChecksumCheck {
  /** IPv4 header checksum correct; undefined when there is no IPv4 header */
  ip?: boolean;
  /** TCP checksum correct; undefined when there is no TCP header or the segment is not fully captured */
  tcp?: boolean;
}

/** Verifies the IPv4 header checksum and the TCP checksum of a decoded frame. */
export function verifyChecksums(data: Uint8Array, f: DecodedFrame): ChecksumCheck {
  const out: ChecksumCheck = {};
  const ip = f.ip;
  if (!ip || ip.offset === undefined) return out;
  const ipStart = ip.offset;
  if (ip.version === 4 && ipStart + ip.headerLength <= data.length) {
    out.ip = internetChecksum(data, ipStart, ipStart + ip.headerLength) === 0;
  }
  const tcp = f.tcp;
  if (!tcp || f.malformed !== null) return out;
  const tcpStart = ipStart + ip.headerLength;
  const end = tcp.payloadOffset + tcp.payloadLength;
  if (end > data.length) return out;
  const alen = ip.version === 4 ? 4 : 16;
  const srcAt = ip.version === 4 ? ipStart + 12 : ipStart + 8;
  const pseudo = pseudoHeaderSum(data.subarray(srcAt, srcAt + alen), data.subarray(srcAt + alen, srcAt + 2 * alen), 6, end - tcpStart);
  out.tcp = foldChecksum(onesSum(data, tcpStart, end, pseudo)) === 0;
  return out;
}
