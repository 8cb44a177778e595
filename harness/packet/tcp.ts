import { u16, u32 } from './bytes.js';
import { decodeTcpOptions } from './tcp-options.js';
import type { DecodedFrame, TcpOption } from './types.js';

const FLAG_LETTERS = 'FSRPAUEC';

/** flag byte → letters in the order F S R P A U E C */
export const FLAG_STRINGS: readonly string[] = Array.from({ length: 256 }, (_, v) => {
  let s = '';
  for (let i = 0; i < 8; i++) if (v & (1 << i)) s += FLAG_LETTERS[i];
  return s;
});

/**
 * Decodes the TCP header at o. `ipEnd` is where the IP datagram ends (it may lie
 * beyond the captured bytes when the snaplen cut the frame; that is not malformed).
 * When the header itself is bad but its first 20 bytes are there, f.tcp still holds
 * the fixed fields (options as far as they decode) and f.malformed says why.
 */
export function decodeTcp(d: Uint8Array, o: number, ipEnd: number, f: DecodedFrame): void {
  const segLen = ipEnd - o;
  if (segLen < 20) {
    f.malformed = `tcp segment length ${segLen} < 20`;
    return;
  }
  const captured = d.length - o;
  if (captured < 20) {
    f.malformed = `tcp header truncated by the capture: ${captured < 0 ? 0 : captured} of 20 bytes`;
    return;
  }
  const doff = d[o + 12] >> 4;
  const hl = doff * 4;
  const options: TcpOption[] = [];
  const flags = d[o + 13];
  const tcp = {
    sport: u16(d, o),
    dport: u16(d, o + 2),
    seq: u32(d, o + 4),
    ack: u32(d, o + 8),
    dataOffset: doff,
    flags,
    flagString: FLAG_STRINGS[flags],
    win: u16(d, o + 14),
    checksum: u16(d, o + 16),
    urgent: u16(d, o + 18),
    options,
    payloadOffset: o + hl,
    payloadLength: segLen - hl,
  };
  f.tcp = tcp;
  if (doff < 5) {
    tcp.payloadOffset = o + 20;
    tcp.payloadLength = 0;
    f.malformed = `tcp data offset ${doff} < 5`;
    return;
  }
  if (hl > segLen) {
    tcp.payloadOffset = ipEnd;
    tcp.payloadLength = 0;
    f.malformed = `tcp data offset ${doff} (${hl} bytes) past the segment (${segLen} bytes)`;
    return;
  }
  if (hl > captured) {
    decodeTcpOptions(d, o + 20, d.length, options);
    f.malformed = `tcp header truncated by the capture: ${captured} of ${hl} bytes`;
    return;
  }
  if (hl > 20) {
    const reason = decodeTcpOptions(d, o + 20, o + hl, options);
    if (reason !== null) f.malformed = reason;
  }
}
