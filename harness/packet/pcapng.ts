import { CaptureFormatError } from './capture-error.js';
import { MAX_RECORD } from './pcap.js';
import type { CapturedFrame } from './types.js';

export const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2; // obsolete Packet Block
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Iface {
  linkType: number;
  snaplen: number;
  /** timestamp units → ns: ns = units * mul / div */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
}

function resolution(v: number): { mul: bigint; div: bigint } {
  if (v & 0x80) return { mul: 1_000_000_000n, div: 1n << BigInt(v & 0x7f) };
  if (v <= 9) return { mul: 10n ** BigInt(9 - v), div: 1n };
  return { mul: 1n, div: 10n ** BigInt(v - 9) };
}

/** Parses pcapng blocks incrementally: several sections, several interfaces each. */
export class PcapngParser {
  private le = true;
  private ifaces: Iface[] = [];
  private sawShb = false;

  parse(buf: Uint8Array, pos: number, base: number, out: CapturedFrame[]): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (buf.length - pos >= 12) {
      const at = base + pos;
      let type = view.getUint32(pos, this.le);
      if (type === BT_SHB) {
        const magic = view.getUint32(pos + 8, true);
        if (magic === BYTE_ORDER_MAGIC) this.le = true;
        else if (magic === 0x4d3c2b1a) this.le = false;
        else throw new CaptureFormatError(`pcapng section header with bad byte-order magic 0x${magic.toString(16)}`, at + 8);
      } else if (!this.sawShb) {
        throw new CaptureFormatError('pcapng file does not start with a section header block', at);
      }
      const le = this.le;
      type = view.getUint32(pos, le);
      const len = view.getUint32(pos + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
        throw new CaptureFormatError(`pcapng block type 0x${type.toString(16)} has invalid length ${len}`, at + 4);
      }
      if (buf.length - pos < len) break;
      const trailer = view.getUint32(pos + len - 4, le);
      if (trailer !== len) {
        throw new CaptureFormatError(`pcapng block type 0x${type.toString(16)} length ${len} but trailer says ${trailer}`, at + len - 4);
      }
      const bodyEnd = pos + len - 4;
      switch (type) {
        case BT_SHB: {
          if (len < 28) throw new CaptureFormatError(`pcapng section header block too short (${len} bytes)`, at);
          const major = view.getUint16(pos + 12, le);
          if (major !== 1) throw new CaptureFormatError(`pcapng version ${major}.${view.getUint16(pos + 14, le)} is not 1.x`, at + 12);
          this.sawShb = true;
          this.ifaces = [];
          break;
        }
        case BT_IDB: {
          if (len < 20) throw new CaptureFormatError(`pcapng interface description block too short (${len} bytes)`, at);
          const iface: Iface = {
            linkType: view.getUint16(pos + 8, le),
            snaplen: view.getUint32(pos + 12, le),
            mul: 1000n,
            div: 1n,
            offsetNs: 0n,
          };
          this.readIfaceOptions(view, pos + 16, bodyEnd, base, iface);
          this.ifaces.push(iface);
          break;
        }
        case BT_EPB: {
          if (len < 32) throw new CaptureFormatError(`pcapng enhanced packet block too short (${len} bytes)`, at);
          const id = view.getUint32(pos + 8, le);
          const iface = this.iface(id, at);
          const cap = view.getUint32(pos + 20, le);
          const orig = view.getUint32(pos + 24, le);
          if (cap > len - 32) {
            throw new CaptureFormatError(`pcapng enhanced packet block captured length ${cap} exceeds the block (${len} bytes)`, at + 20);
          }
          out.push({
            time: this.toNs(iface, view.getUint32(pos + 12, le), view.getUint32(pos + 16, le)),
            data: buf.subarray(pos + 28, pos + 28 + cap),
            origLength: orig > cap ? orig : cap,
            linkType: iface.linkType,
            iface: id,
          });
          break;
        }
        case BT_SPB: {
          if (len < 16) throw new CaptureFormatError(`pcapng simple packet block too short (${len} bytes)`, at);
          const iface = this.iface(0, at);
          const orig = view.getUint32(pos + 8, le);
          let cap = Math.min(orig, len - 16);
          if (iface.snaplen > 0 && cap > iface.snaplen) cap = iface.snaplen;
          out.push({ time: 0n, data: buf.subarray(pos + 12, pos + 12 + cap), origLength: orig, linkType: iface.linkType, iface: 0 });
          break;
        }
        case BT_PB: {
          if (len < 32) throw new CaptureFormatError(`pcapng packet block too short (${len} bytes)`, at);
          const id = view.getUint16(pos + 8, le);
          const iface = this.iface(id, at);
          const cap = view.getUint32(pos + 20, le);
          const orig = view.getUint32(pos + 24, le);
          if (cap > len - 32) {
            throw new CaptureFormatError(`pcapng packet block captured length ${cap} exceeds the block (${len} bytes)`, at + 20);
          }
          out.push({
            time: this.toNs(iface, view.getUint32(pos + 12, le), view.getUint32(pos + 16, le)),
            data: buf.subarray(pos + 28, pos + 28 + cap),
            origLength: orig > cap ? orig : cap,
            linkType: iface.linkType,
            iface: id,
          });
          break;
        }
        default:
          break; // name resolution, statistics, decryption secrets, custom …: not needed
      }
      pos += len;
    }
    return pos;
  }

  finish(left: number, at: number): void {
    if (!this.sawShb) throw new CaptureFormatError(`pcapng section header block truncated (${left} bytes)`, at);
    if (left > 0) throw new CaptureFormatError(`pcapng file cut short: last block incomplete (${left} bytes)`, at);
  }

  private iface(id: number, at: number): Iface {
    const iface = this.ifaces[id];
    if (!iface) {
      throw new CaptureFormatError(`pcapng packet for interface ${id} but the section describes ${this.ifaces.length}`, at);
    }
    return iface;
  }

  private lastHi = -1;
  private lastHiUnits = 0n;

  /** ns since the epoch of a 64-bit timestamp (hi, lo) in the interface's units */
  private toNs(iface: Iface, hi: number, lo: number): bigint {
    if (hi !== this.lastHi) {
      this.lastHi = hi;
      this.lastHiUnits = BigInt(hi) << 32n;
    }
    const units = this.lastHiUnits + BigInt(lo);
    const ns = iface.div === 1n ? units * iface.mul : (units * iface.mul) / iface.div;
    return iface.offsetNs === 0n ? ns : ns + iface.offsetNs;
  }

  private readIfaceOptions(view: DataView, p: number, end: number, base: number, iface: Iface): void {
    const le = this.le;
    while (p + 4 <= end) {
      const code = view.getUint16(p, le);
      const olen = view.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) return;
      if (p + 4 + olen > end) {
        throw new CaptureFormatError(`pcapng interface option ${code} length ${olen} runs past its block`, base + p);
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = resolution(view.getUint8(p + 4));
        iface.mul = r.mul;
        iface.div = r.div;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        iface.offsetNs = view.getBigInt64(p + 4, le) * 1_000_000_000n;
      }
      p += 4 + ((olen + 3) & ~3);
    }
  }
}
