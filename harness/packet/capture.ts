import { CaptureFormatError } from './capture-error.js';
import { pcapMagic, PcapParser } from './pcap.js';
import { BT_SHB, PcapngParser } from './pcapng.js';
import type { CapturedFrame } from './types.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * Incremental pcap / pcapng reader: feed chunks with push(), get the frames that are
 * complete so far; end() throws if the input stopped in the middle of a record.
 * Frames' `data` are views into the pushed chunks (the reader never modifies them).
 */
export class CaptureReader {
  format: CaptureFormat | undefined;
  private parser: PcapParser | PcapngParser | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  /** file offset of pending[0] */
  private base = 0;

  push(chunk: Uint8Array): CapturedFrame[] {
    // Frames are plain Uint8Array views even when a Buffer comes in (and subarray is faster).
    let buf = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending, 0);
      buf.set(chunk, this.pending.length);
    }
    const out: CapturedFrame[] = [];
    if (!this.parser) {
      if (buf.length < 4) {
        this.pending = buf;
        return out;
      }
      this.parser = this.choose(buf);
    }
    const used = this.parser.parse(buf, 0, this.base, out);
    this.base += used;
    this.pending = used === buf.length ? new Uint8Array(0) : buf.subarray(used);
    return out;
  }

  end(): void {
    if (!this.parser) {
      if (this.base === 0 && this.pending.length === 0) throw new CaptureFormatError('empty capture file', 0);
      throw new CaptureFormatError(`capture file too short (${this.pending.length} bytes) for any format`, this.base);
    }
    this.parser.finish(this.pending.length, this.base);
  }

  private choose(buf: Uint8Array): PcapParser | PcapngParser {
    const le32 = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
    if (le32 === BT_SHB) {
      this.format = 'pcapng';
      return new PcapngParser();
    }
    if (pcapMagic(le32)) {
      this.format = 'pcap';
      return new PcapParser();
    }
    const hex = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new CaptureFormatError(`not a pcap or pcapng file (starts with ${hex})`, 0);
  }
}

/** Reads a whole pcap or pcapng file held in memory. Throws CaptureFormatError when corrupt. */
export function readCapture(bytes: Uint8Array): { format: CaptureFormat; frames: CapturedFrame[] } {
  const reader = new CaptureReader();
  const frames = reader.push(bytes);
  reader.end();
  return { format: reader.format!, frames };
}

/** Frames of a capture arriving as a stream of chunks, e.g. `fs.createReadStream(path)`. */
export async function* streamCapture(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<CapturedFrame> {
  const reader = new CaptureReader();
  for await (const chunk of chunks) yield* reader.push(chunk);
  reader.end();
}
