import { isIPv6 } from 'node:net';
import { AF_INET, AF_INET6 } from './libc.js';

export interface Endpoint {
  address: string;
  port: number;
}

export function familyOf(address: string): number {
  return isIPv6(address) ? AF_INET6 : AF_INET;
}

export function encodeSockaddr({ address, port }: Endpoint): Buffer {
  if (isIPv6(address)) {
    const buf = Buffer.alloc(28);
    buf.writeUInt16LE(AF_INET6, 0);
    buf.writeUInt16BE(port, 2);
    ipv6Bytes(address).copy(buf, 8);
    return buf;
  }
  const buf = Buffer.alloc(16);
  buf.writeUInt16LE(AF_INET, 0);
  buf.writeUInt16BE(port, 2);
  address.split('.').forEach((octet, i) => buf.writeUInt8(Number(octet), 4 + i));
  return buf;
}

export function decodeSockaddr(buf: Buffer): Endpoint {
  const family = buf.readUInt16LE(0);
  const port = buf.readUInt16BE(2);
  if (family === AF_INET6) return { address: formatIpv6(buf.subarray(8, 24)), port };
  return { address: [...buf.subarray(4, 8)].join('.'), port };
}

export function ipv6Bytes(address: string): Buffer {
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    // IPv4-mapped and friends: the last 32 bits written as a dotted quad
    const q = dotted[2].split('.').map(Number);
    address = `${dotted[1]}${((q[0] << 8) | q[1]).toString(16)}:${((q[2] << 8) | q[3]).toString(16)}`;
  }
  const [head, tail = ''] = address.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

/** RFC 5952 text form. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
