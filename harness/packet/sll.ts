import { formatMac } from './addr.js';
import { u16, u32 } from './bytes.js';
import type { DecodedFrame } from './types.js';

function linkAddress(d: Uint8Array, o: number, len: number): string {
  if (len === 6) return formatMac(d, o);
  let s = '';
  for (let i = 0; i < len && i < 8; i++) s += (i ? ':' : '') + d[o + i].toString(16).padStart(2, '0');
  return s;
}

/** LINKTYPE_LINUX_SLL: 16-byte header. Returns the payload offset or -1. */
export function decodeSll(d: Uint8Array, f: DecodedFrame): number {
  if (d.length < 16) {
    f.malformed = `linux sll header truncated: ${d.length} bytes < 16`;
    return -1;
  }
  f.sll = {
    packetType: u16(d, 0),
    arphrd: u16(d, 2),
    address: linkAddress(d, 6, u16(d, 4)),
    protocol: u16(d, 14),
  };
  return 16;
}

/** LINKTYPE_LINUX_SLL2: 20-byte header. Returns the payload offset or -1. */
export function decodeSll2(d: Uint8Array, f: DecodedFrame): number {
  if (d.length < 20) {
    f.malformed = `linux sll2 header truncated: ${d.length} bytes < 20`;
    return -1;
  }
  f.sll = {
    packetType: d[10],
    arphrd: u16(d, 8),
    address: linkAddress(d, 12, d[11]),
    protocol: u16(d, 0),
    ifindex: u32(d, 4),
  };
  return 20;
}
