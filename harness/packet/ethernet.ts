import { formatMac } from './addr.js';
import { u16 } from './bytes.js';
import type { DecodedFrame } from './types.js';

// Untagged frames (nearly all) share one frozen empty list.
const NO_VLANS = Object.freeze([]) as unknown as number[];

/** 802.1Q, 802.1ad (QinQ) and the pre-standard 0x9100 tag. */
function isVlanTag(t: number): boolean {
  return t === 0x8100 || t === 0x88a8 || t === 0x9100;
}

/**
 * Decodes the Ethernet header and its VLAN tags into f.eth.
 * Returns the offset of the payload, or -1 (with f.malformed set) when truncated.
 */
export function decodeEthernet(d: Uint8Array, f: DecodedFrame): number {
  if (d.length < 14) {
    f.malformed = `ethernet header truncated: ${d.length} bytes < 14`;
    return -1;
  }
  let type = u16(d, 12);
  let o = 14;
  let vlans = NO_VLANS;
  while (isVlanTag(type)) {
    if (vlans === NO_VLANS) vlans = [];
    if (d.length < o + 4) {
      f.eth = { dst: formatMac(d, 0), src: formatMac(d, 6), etherType: type, vlans };
      f.malformed = `vlan tag truncated at byte ${o}`;
      return -1;
    }
    vlans.push(u16(d, o) & 0x0fff);
    type = u16(d, o + 2);
    o += 4;
  }
  f.eth = { dst: formatMac(d, 0), src: formatMac(d, 6), etherType: type, vlans };
  return o;
}
