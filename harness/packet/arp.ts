import { formatIpv4, formatMac } from './addr.js';
import { u16 } from './bytes.js';
import type { DecodedFrame } from './types.js';

/** ARP for IPv4 over Ethernet (RFC 826); other hardware/protocol pairs are described in f.other. */
export function decodeArp(d: Uint8Array, o: number, f: DecodedFrame): void {
  if (d.length - o < 8) {
    f.malformed = `arp header truncated: ${d.length - o} bytes < 8`;
    return;
  }
  const htype = u16(d, o);
  const ptype = u16(d, o + 2);
  const hlen = d[o + 4];
  const plen = d[o + 5];
  const op = u16(d, o + 6);
  if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
    f.other = `ARP hardware ${htype} protocol 0x${ptype.toString(16).padStart(4, '0')} op ${op}`;
    return;
  }
  if (d.length - o < 28) {
    f.malformed = `arp packet truncated: ${d.length - o} bytes < 28`;
    return;
  }
  f.arp = {
    op,
    senderMac: formatMac(d, o + 8),
    senderIp: formatIpv4(d, o + 14),
    targetMac: formatMac(d, o + 18),
    targetIp: formatIpv4(d, o + 24),
  };
}
