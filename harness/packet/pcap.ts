import { CaptureFormatError } from './capture-error.js';
import type { CapturedFrame } from './types.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: 8 more bytes per record header. */
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;

/** Largest record we accept; anything bigger is a corrupt length field. */
export const MAX_RECORD = 64 * 1024 * 1024;

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Recognises a classic pcap magic number read as a little-endian u32; null if it is not one. */
export function pcapMagic(le32: number): { littleEndian: boolean; nano: boolean; kuznetzov: boolean } | null {
  for (const littleEndian of [true, false]) {
    const m = littleEndian ? le32 : swap32(le32);
    if (m === PCAP_MAGIC_US) return { littleEndian, nano: false, kuznetzov: false };
    if (m === PCAP_MAGIC_NS) return { littleEndian, nano: true, kuznetzov: false };
    if (m === PCAP_MAGIC_KUZNETZOV) return { littleEndian, nano: false, kuznetzov: true };
  }
  return null;
}

/** Parses classic pcap records incrementally; the 24-byte file header first. */
export class PcapParser {
  private le = true;
  private nano = false;
  private recHeader = 16;
  private linkType = 1;
  private headerDone = false;

  /**
   * Consumes complete records of buf from pos on (buf[0] is at file offset base) and
   * returns the new pos; an incomplete record at the end is left for the next call.
   */
  parse(buf: Uint8Array, pos: number, base: number, out: CapturedFrame[]): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!this.headerDone) {
      if (buf.length - pos < 24) return pos;
      const magic = pcapMagic(view.getUint32(pos, true));
      if (!magic) throw new CaptureFormatError('not a pcap file header', base + pos);
      this.le = magic.littleEndian;
      this.nano = magic.nano;
      this.recHeader = magic.kuznetzov ? 24 : 16;
      const major = view.getUint16(pos + 4, this.le);
      if (major !== 2) throw new CaptureFormatError(`pcap version ${major}.${view.getUint16(pos + 6, this.le)} is not 2.x`, base + pos + 4);
      this.linkType = view.getUint32(pos + 20, this.le) & 0xffff;
      this.headerDone = true;
      pos += 24;
    }
    const le = this.le;
    const nano = this.nano;
    const rh = this.recHeader;
    const linkType = this.linkType;
    // Frames of one second share the BigInt of that second: one BigInt conversion per frame.
    let lastSec = -1;
    let secNs = 0n;
    while (buf.length - pos >= rh) {
      const incl = view.getUint32(pos + 8, le);
      if (incl > MAX_RECORD) {
        throw new CaptureFormatError(`pcap record length ${incl} is implausible (corrupt record header)`, base + pos);
      }
      if (buf.length - pos - rh < incl) break;
      const sec = view.getUint32(pos, le);
      const frac = view.getUint32(pos + 4, le);
      const orig = view.getUint32(pos + 12, le);
      const start = pos + rh;
      if (sec !== lastSec) {
        lastSec = sec;
        secNs = BigInt(sec) * 1_000_000_000n;
      }
      out.push({
        time: secNs + BigInt(nano ? frac : frac * 1000),
        data: buf.subarray(start, start + incl),
        origLength: orig > incl ? orig : incl,
        linkType,
        iface: 0,
      });
      pos = start + incl;
    }
    return pos;
  }

  /** Called when input ends with `left` unconsumed bytes at file offset `at`. */
  finish(left: number, at: number): void {
    if (!this.headerDone) throw new CaptureFormatError(`pcap file header truncated: ${left} of 24 bytes`, at);
    if (left > 0) throw new CaptureFormatError(`pcap file cut short: last record incomplete (${left} bytes)`, at);
  }
}
