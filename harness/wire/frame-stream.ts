/**
 * What the sidecar sends the harness, in binary: a stream of messages, each a 5-byte
 * header (u32 LE length of what follows the header, u8 kind) and its body. A JSON
 * message is UTF-8; a frame batch is the session's name and its frames, each with its
 * bytes as they are up to the end of its TCP header (other frames: their first `snap`
 * bytes), so that a bulk transfer's tens of thousands of frames cost neither JSON nor
 * base64 on either side, nor payload the harness never reads (wire.pcap keeps it).
 *
 * Frame record: u32 n, u64 time, u8 port, u8 count + that many u8 destination ports,
 * u32 length, u8 fate (0: none), u8 extras (1: rule, 2: triggerPassed), [u8 length +
 * rule id], [u64 triggerPassed], u16 snap length + the bytes. Little-endian.
 */
import { decodeFrame, type DecodedFrame } from '../packet/index.js';
import type { Fate, FrameEvent } from './protocol.js';
import { pinned } from '../sockets/pinned.js';

export const HEADER = 5;
export const KIND_JSON = 1;
export const KIND_FRAMES = 2;

const FATES: (Fate | undefined)[] = [undefined, 'dropped', 'held', 'delayed', 'duplicated', 'injected', 'cut'];
const HAS_RULE = 1;
/** a message's size at most (a frame's record is at most 64 KiB and a few bytes) */
const BATCH_BYTES = 256 * 1024;
/** buffers kept for when the socket is done with them (it takes all at once mostly: its send buffer is large) */
const SPARE_BUFFERS = 4;
const HAS_TRIGGER = 2;

export function jsonMessage(msg: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32LE(body.length, 0);
  out[4] = KIND_JSON;
  body.copy(out, HEADER);
  return out;
}

/** A frame as the relay hands it to the sidecar. */
export interface FrameRecord {
  n: number;
  time: bigint;
  port: number;
  to: readonly number[];
  data: Buffer;
  fate: Fate | undefined;
  rule: string | undefined;
  triggerPassed: bigint | undefined;
}

/** Where a batch is written: a socket, whose callback says when it is done with the bytes. */
export interface MessageSink {
  write(bytes: Buffer, done: (err?: Error | null) => void): unknown;
}

/** The frames of one session, gathered into messages of at most BATCH_BYTES. */
export class FrameBatch {
  private cur: { buf: Buffer; addr: number } = pinned(BATCH_BYTES);
  private used = 0;
  private readonly start: number;
  /** buffers the socket is done with, to fill again: fresh memory costs a page fault per page */
  private readonly spare: { buf: Buffer; addr: number }[] = [];
  count = 0;

  constructor(
    session: string,
    /** bytes of each frame sent along */
    readonly snap: number,
    private readonly out: MessageSink,
  ) {
    const name = Buffer.from(session, 'utf8');
    const b = this.cur.buf;
    b[4] = KIND_FRAMES;
    b.writeUInt16LE(name.length, HEADER);
    name.copy(b, HEADER + 2);
    this.start = this.used = HEADER + 2 + name.length;
  }

  add(f: FrameRecord): void {
    const snap = headerBytes(f.data, this.snap);
    const rule = f.rule ? Buffer.from(f.rule, 'utf8') : null;
    if (this.used + 4 + 8 + 2 + f.to.length + 4 + 2 + (rule ? 1 + rule.length : 0) + 8 + 2 + snap > BATCH_BYTES) this.flush();
    const b = this.cur.buf;
    let o = this.used;
    b.writeUInt32LE(f.n, o);
    b.writeBigUInt64LE(f.time, o + 4);
    b[o + 12] = f.port;
    b[o + 13] = f.to.length;
    o += 14;
    for (const p of f.to) b[o++] = p;
    b.writeUInt32LE(f.data.length, o);
    b[o + 4] = f.fate ? FATES.indexOf(f.fate) : 0;
    b[o + 5] = (rule ? HAS_RULE : 0) | (f.triggerPassed !== undefined ? HAS_TRIGGER : 0);
    o += 6;
    if (rule) {
      b[o++] = rule.length;
      rule.copy(b, o);
      o += rule.length;
    }
    if (f.triggerPassed !== undefined) {
      b.writeBigUInt64LE(f.triggerPassed, o);
      o += 8;
    }
    b.writeUInt16LE(snap, o);
    f.data.copy(b, o + 2, 0, snap);
    this.used = o + 2 + snap;
    this.count++;
  }

  /** Where a writer in C (native/relay.c) adds records of the same format: the buffer's address, its size, the bytes used. */
  target(): { addr: number; cap: number; used: number } {
    return { addr: this.cur.addr, cap: BATCH_BYTES, used: this.used };
  }

  /** That writer added `count` records, and the buffer's bytes used are now `used`. */
  added(used: number, count: number): void {
    this.used = used;
    this.count += count;
  }

  /**
   * Write the frames added since the last write as one message, and go on in a buffer
   * the socket is done with (or a new one): the socket holds on to what it was given
   * until it has handed it to the kernel.
   */
  flush(): void {
    if (this.count === 0) return;
    const full = this.cur;
    full.buf.writeUInt32LE(this.used - HEADER, 0);
    this.out.write(full.buf.subarray(0, this.used), () => {
      if (this.spare.length < SPARE_BUFFERS) this.spare.push(full);
    });
    const next = this.spare.pop() ?? pinned(BATCH_BYTES);
    full.buf.copy(next.buf, 0, 0, this.start);
    this.cur = next;
    this.clear();
  }

  /** Forget the frames added since the last write. */
  clear(): void {
    this.used = this.start;
    this.count = 0;
  }
}

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;

/**
 * How many of a frame's bytes the harness gets: an Ethernet frame carrying TCP over IPv4
 * or IPv6 (no extension headers) up to the end of its TCP header, any other frame its
 * first `snap` bytes; never more than `snap` nor than the frame.
 */
export function headerBytes(data: Buffer, snap: number): number {
  const max = Math.min(snap, data.length);
  if (data.length < ETH_HEADER + 40) return max;
  const type = data.readUInt16BE(12);
  let tcp: number;
  // a later fragment carries no TCP header
  if (type === ETHERTYPE_IPV4 && data[ETH_HEADER + 9] === IPPROTO_TCP && (data.readUInt16BE(ETH_HEADER + 6) & 0x1fff) === 0) {
    tcp = ETH_HEADER + (data[ETH_HEADER] & 0x0f) * 4;
  } else if (type === ETHERTYPE_IPV6 && data[ETH_HEADER + 6] === IPPROTO_TCP) tcp = ETH_HEADER + 40;
  else return max;
  if (data.length < tcp + 13) return max;
  const offset = data[tcp + 12] >> 4;
  // a malformed header goes whole, for the decoder to say what is wrong with it
  return offset < 5 ? max : Math.min(max, tcp + offset * 4);
}

/** A batch's bytes and the session they belong to, shared by its frames. */
interface Batch {
  readonly body: Buffer;
  readonly session: string;
}

/**
 * A frame of a batch, its fields read from the batch's bytes when asked and decoded when
 * first looked at: a bulk transfer streams tens of thousands of frames while the two
 * hosts, the sidecar and the harness share the CPUs, and an object per field of each
 * (its bytes' view, its destinations, its time) was most of what the harness's garbage
 * collector did. The case keeps these objects themselves (Wire.frames), no wrapper.
 */
export class BatchedFrame implements FrameEvent {
  private decodedFrame: DecodedFrame | null = null;
  /** held or delayed: ms until it went out (told later, by a release) */
  heldMs?: number;

  constructor(
    private readonly batch: Batch,
    /** where the frame's record starts */
    private readonly at: number,
    /** where its bytes' u16 length is */
    private readonly dataAt: number,
  ) {}

  get type(): 'frame' {
    return 'frame';
  }

  get session(): string {
    return this.batch.session;
  }

  get n(): number {
    return this.batch.body.readUInt32LE(this.at);
  }

  get time(): bigint {
    return this.batch.body.readBigUInt64LE(this.at + 4);
  }

  get port(): number {
    return this.batch.body[this.at + 12];
  }

  get to(): number[] {
    const b = this.batch.body;
    return Array.from(b.subarray(this.at + 14, this.at + 14 + b[this.at + 13]));
  }

  private get afterTo(): number {
    return this.at + 14 + this.batch.body[this.at + 13];
  }

  get length(): number {
    return this.batch.body.readUInt32LE(this.afterTo);
  }

  get fate(): Fate | undefined {
    return FATES[this.batch.body[this.afterTo + 4]];
  }

  get rule(): string | undefined {
    const b = this.batch.body;
    const o = this.afterTo;
    return b[o + 5] & HAS_RULE ? b.toString('utf8', o + 7, o + 7 + b[o + 6]) : undefined;
  }

  get triggerPassed(): bigint | undefined {
    const b = this.batch.body;
    const o = this.afterTo;
    if (!(b[o + 5] & HAS_TRIGGER)) return undefined;
    return b.readBigUInt64LE(b[o + 5] & HAS_RULE ? o + 7 + b[o + 6] : o + 6);
  }

  get data(): Buffer {
    const b = this.batch.body;
    return b.subarray(this.dataAt + 2, this.dataAt + 2 + b.readUInt16LE(this.dataAt));
  }

  get decoded(): DecodedFrame {
    this.decodedFrame ??= decodeFrame(this.data, 1, this.length);
    return this.decodedFrame;
  }
}

/**
 * The frames of a KIND_FRAMES body. Each frame reads `body` itself, nothing is copied:
 * the frames outlive their batch as long as the case keeps them, and hold it.
 */
export function decodeFrameBatch(body: Buffer): { session: string; frames: BatchedFrame[] } {
  const nameLength = body.readUInt16LE(0);
  const batch: Batch = { body, session: body.toString('utf8', 2, 2 + nameLength) };
  const frames: BatchedFrame[] = [];
  let o = 2 + nameLength;
  while (o < body.length) {
    const at = o;
    o += 14 + body[o + 13];
    const extras = body[o + 5];
    o += 6;
    if (extras & HAS_RULE) o += 1 + body[o];
    if (extras & HAS_TRIGGER) o += 8;
    frames.push(new BatchedFrame(batch, at, o));
    o += 2 + body.readUInt16LE(o);
  }
  return { session: batch.session, frames };
}

/**
 * Cuts a byte stream into messages, however it was split into chunks. Every message is
 * copied out of the chunks into a buffer of its own, so the reader of the stream may
 * read each chunk into the same buffer (no fresh memory per read: in this virtual
 * machine a page fault costs more than the copy).
 */
export class MessageReader {
  private readonly header = Buffer.alloc(HEADER);
  private headerUsed = 0;
  private body: Buffer | null = null;
  private bodyUsed = 0;

  /** `chunk` is not kept: it may be overwritten once this returns. */
  feed(chunk: Uint8Array, onMessage: (kind: number, body: Buffer) => void): void {
    let o = 0;
    for (;;) {
      if (!this.body) {
        const n = Math.min(HEADER - this.headerUsed, chunk.length - o);
        this.header.set(chunk.subarray(o, o + n), this.headerUsed);
        this.headerUsed += n;
        o += n;
        if (this.headerUsed < HEADER) return;
        this.headerUsed = 0;
        this.body = Buffer.allocUnsafe(this.header.readUInt32LE(0));
        this.bodyUsed = 0;
      }
      const n = Math.min(this.body.length - this.bodyUsed, chunk.length - o);
      this.body.set(chunk.subarray(o, o + n), this.bodyUsed);
      this.bodyUsed += n;
      o += n;
      if (this.bodyUsed < this.body.length) return;
      const body = this.body;
      this.body = null;
      onMessage(this.header[4], body);
    }
  }
}
