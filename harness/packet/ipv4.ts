import { formatIpv4 } from './addr.js';
import { u16 } from './bytes.js';
import type { DecodedFrame } from './types.js';

/**
 * Decodes an IPv4 header at o into f.ip. `wireEnd` is the frame length on the wire
 * (origLength), so a datagram cut short by the snaplen is not malformed.
 * Returns the transport header offset, or -1 when nothing further can be decoded
 * (malformed, or a fragment, which is never decoded as TCP).
 * A total length of 0 is taken as "TSO capture" and replaced by the bytes available,
 * as Wireshark does.
 */
export function decodeIpv4(d: Uint8Array, o: number, wireEnd: number, f: DecodedFrame): number {
  const avail = d.length - o;
  if (avail < 20) {
    f.malformed = `ipv4 header truncated: ${avail < 0 ? 0 : avail} bytes < 20`;
    return -1;
  }
  const version = d[o] >> 4;
  if (version !== 4) {
    f.malformed = `ip version ${version} where ipv4 was expected`;
    return -1;
  }
  const hl = (d[o] & 15) * 4;
  let total = u16(d, o + 2);
  if (total === 0) total = wireEnd - o;
  const fragWord = u16(d, o + 6);
  const mf = (fragWord & 0x2000) !== 0;
  const fragOffset = fragWord & 0x1fff;
  const fragment = mf || fragOffset !== 0;
  f.ip = {
    version: 4,
    src: formatIpv4(d, o + 12),
    dst: formatIpv4(d, o + 16),
    protocol: d[o + 9],
    ttl: d[o + 8],
    totalLength: total,
    headerLength: hl,
    fragment,
    tos: d[o + 1],
    id: u16(d, o + 4),
    dontFragment: (fragWord & 0x4000) !== 0,
    flowLabel: undefined,
    offset: o,
  };
  if (hl < 20) {
    f.malformed = `ipv4 header length ${hl} < 20`;
    return -1;
  }
  if (hl > total) {
    f.malformed = `ipv4 header length ${hl} > total length ${total}`;
    return -1;
  }
  if (total > wireEnd - o) {
    f.malformed = `ipv4 total length ${total} > ${wireEnd - o} bytes in the frame`;
    return -1;
  }
  if (hl > avail) {
    f.malformed = `ipv4 header truncated by the capture: ${avail} of ${hl} bytes`;
    return -1;
  }
  if (fragment) {
    f.other = `IPv4 fragment: protocol ${d[o + 9]} offset ${fragOffset * 8}${mf ? ' MF' : ''}`;
    return -1;
  }
  return o + hl;
}
