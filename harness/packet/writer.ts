import { closeSync, openSync, writeSync } from 'node:fs';
import { close as closeAsync } from 'node:fs';
import { PCAP_MAGIC_NS } from './pcap.js';

export interface PcapWriterOptions {
  /** LINKTYPE_* of every frame; default 1 (Ethernet) */
  linkType?: number;
  /** frames are cut to this many bytes; default 262144 */
  snaplen?: number;
  /** bytes buffered before a write to the file; default 4 MiB */
  bufferSize?: number;
}

export interface FrameToWrite {
  /** nanoseconds since the Unix epoch */
  time: bigint;
  data: Uint8Array;
  /** length on the wire; default data.length */
  origLength?: number;
}

const NS_PER_S = 1_000_000_000n;

/** The 24 bytes a pcap file starts with (little-endian, nanosecond magic). */
export function pcapFileHeader(linkType = 1, snaplen = 262144): Uint8Array {
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, PCAP_MAGIC_NS, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linkType, true);
  return h;
}

// Writers still open when the process exits get their buffers flushed, so a relay
// that is torn down without close() still leaves every frame it accepted on disk.
const openWriters = new Set<PcapWriter>();
let exitHook = false;
function flushAllOnExit(): void {
  for (const w of openWriters) {
    try {
      w.flush();
    } catch {
      // the process is exiting; nothing useful can be done with the error
    }
  }
}

/**
 * Classic pcap writer (little-endian, nanosecond magic). Frames go into an in-memory
 * buffer that is written with one writeSync when full, on flush(), and on close.
 * write() never drops a frame: a frame larger than the buffer is written directly.
 */
export class PcapWriter {
  readonly path: string;
  readonly linkType: number;
  readonly snaplen: number;
  private fd: number;
  private buf: Uint8Array;
  private view: DataView;
  private used = 0;
  private closed = false;
  private count = 0;

  /** frames written so far */
  get frames(): number {
    return this.count;
  }

  constructor(path: string, opts: PcapWriterOptions = {}) {
    this.path = path;
    this.linkType = opts.linkType ?? 1;
    this.snaplen = opts.snaplen ?? 262144;
    const size = Math.max(opts.bufferSize ?? 4 * 1024 * 1024, 4096);
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.fd = openSync(path, 'w');
    this.buf.set(pcapFileHeader(this.linkType, this.snaplen), 0);
    this.used = 24;
    openWriters.add(this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', flushAllOnExit);
    }
  }

  write(frame: FrameToWrite): void {
    if (this.closed) throw new Error(`PcapWriter ${this.path}: write after close`);
    const data = frame.data;
    const incl = data.length > this.snaplen ? this.snaplen : data.length;
    const orig = frame.origLength ?? data.length;
    const need = 16 + incl;
    if (this.used + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) {
        const rec = new Uint8Array(need);
        writeRecord(new DataView(rec.buffer), rec, 0, frame.time, data, incl, orig);
        writeAll(this.fd, rec);
        this.count++;
        return;
      }
    }
    writeRecord(this.view, this.buf, this.used, frame.time, data, incl, orig);
    this.used += need;
    this.count++;
  }

  /** Writes the buffered frames to the file now. */
  flush(): void {
    if (this.used === 0 || this.closed) return;
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  closeSync(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openWriters.delete(this);
    closeSync(this.fd);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openWriters.delete(this);
    await new Promise<void>((resolve, reject) => closeAsync(this.fd, (err) => (err ? reject(err) : resolve())));
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function writeRecord(v: DataView, b: Uint8Array, o: number, time: bigint, data: Uint8Array, incl: number, orig: number): void {
  v.setUint32(o, Number(time / NS_PER_S), true);
  v.setUint32(o + 4, Number(time % NS_PER_S), true);
  v.setUint32(o + 8, incl, true);
  v.setUint32(o + 12, orig > incl ? orig : incl, true);
  b.set(incl === data.length ? data : data.subarray(0, incl), o + 16);
}

/** A complete pcap file in memory (nanosecond magic), e.g. for tests. */
export function pcapBytes(frames: readonly FrameToWrite[], opts: { linkType?: number; snaplen?: number } = {}): Uint8Array {
  const snaplen = opts.snaplen ?? 262144;
  let size = 24;
  for (const f of frames) size += 16 + Math.min(f.data.length, snaplen);
  const out = new Uint8Array(size);
  out.set(pcapFileHeader(opts.linkType ?? 1, snaplen), 0);
  const v = new DataView(out.buffer);
  let o = 24;
  for (const f of frames) {
    const incl = Math.min(f.data.length, snaplen);
    writeRecord(v, out, o, f.time, f.data, incl, f.origLength ?? f.data.length);
    o += 16 + incl;
  }
  return out;
}
