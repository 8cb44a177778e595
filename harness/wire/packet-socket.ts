/**
 * An AF_PACKET socket that moves frames in batches: recvmmsg and sendmmsg through
 * koffi, so that one system call (about a microsecond on a virtual machine with
 * today's mitigations) carries up to BATCH frames instead of one.
 *
 * Received frames land in slots of one buffer and are handed out as views of it,
 * valid until the next batch is read; frames sent while a batch is handled are queued
 * and leave in one sendmmsg before the next batch is read, the received ones without
 * a copy (their iovec points into their slot). The kernel stamps every frame as it
 * arrives (SO_TIMESTAMPNS, CLOCK_REALTIME).
 *
 * Every pointer the kernel follows lives in memory that never moves (the backing
 * stores of ArrayBuffers, which V8 does not relocate) and is passed as a plain integer.
 */
import { createRequire } from 'node:module';
import { bind, closeAsync, lastErrno, setsockoptBytes, setsockoptInt, socket, SocketError, SOCK_CLOEXEC, SOL_SOCKET } from '../sockets/libc.js';
import { pinned, writePtr } from '../sockets/pinned.js';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

const c = {
  recvmmsg: lib.func('int recvmmsg(int fd, uintptr_t vec, unsigned int vlen, int flags, uintptr_t timeout)'),
  sendmmsg: lib.func('int sendmmsg(int fd, uintptr_t vec, unsigned int vlen, int flags)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, uintptr_t arg)'),
  poll: lib.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)'),
  clock_gettime: lib.func('int clock_gettime(int clock, uintptr_t ts)'),
};

const AF_PACKET = 17;
const SOCK_RAW = 3;
const ETH_P_ALL = 0x0003;
const SOL_PACKET = 263;
const PACKET_IGNORE_OUTGOING = 23;
const PACKET_QDISC_BYPASS = 20;
const SO_ATTACH_FILTER = 26;
export const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SO_TIMESTAMPNS = 35;
const SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const SIOCGIFINDEX = 0x8933;
const POLLOUT = 0x004;
/** what onSendFailed is told of a frame refused in the middle of a batch: sendmmsg tells the error of a batch's first frame only */
export const UNKNOWN_SEND_ERROR = 'unknown';
/** sll_pkttype of a frame leaving through the interface */
export const PACKET_OUTGOING = 4;

/** frames per system call */
export const BATCH = 64;
/** a slot holds the largest frame a veth can carry (MTU 65535) with its Ethernet and VLAN headers */
export const SLOT_BYTES = 69632;

// struct mmsghdr on 64-bit Linux: msghdr (56 bytes) + msg_len, padded to 64
const MMSG = 64;
const M_NAME = 0;
const M_NAMELEN = 8;
const M_IOV = 16;
const M_IOVLEN = 24;
const M_CONTROL = 32;
const M_CONTROLLEN = 40;
const M_FLAGS = 48;
const M_LEN = 56;
const IOV = 16;
const SLL = 20; // struct sockaddr_ll
const CONTROL = 64; // room for one struct cmsghdr + struct timespec (32 bytes) and then some
// staging for frames sent that are not in a receive slot (held, delayed, injected)
const STAGING_BYTES = 4 * SLOT_BYTES;

if (process.arch !== 'x64' && process.arch !== 'arm64') {
  throw new Error(`the capture sidecar's packet socket knows the struct layouts of 64-bit Linux only, not ${process.arch}`);
}

/**
 * Set a socket buffer's size beyond net.core.[rw]mem_max (the …FORCE options), or,
 * without CAP_NET_ADMIN over the machine's network (a rootless run: root only of its
 * user namespace), as far as [rw]mem_max lets the plain option go.
 */
export function bufferSize(fd: number, force: number, plain: number, bytes: number): void {
  try {
    setsockoptInt(fd, SOL_SOCKET, force, bytes, 'setsockopt(SO_*BUFFORCE)');
  } catch (e) {
    if (!(e instanceof SocketError) || e.code !== 'EPERM') throw e;
    setsockoptInt(fd, SOL_SOCKET, plain, bytes, 'setsockopt(SO_*BUF)');
  }
}

function sockaddrLl(ifindex: number): Buffer {
  const a = Buffer.alloc(SLL);
  a.writeUInt16LE(AF_PACKET, 0);
  a.writeUInt16BE(ETH_P_ALL, 2);
  a.writeInt32LE(ifindex, 4);
  return a;
}

export interface PacketSocketOptions {
  /** leave out frames leaving an interface (the relay's own sends, the namespace's own traffic) */
  ignoreOutgoing: boolean;
  /** kernel queue limit in bytes: what arrives while the reader is busy waits there */
  receiveBuffer: number;
  /** how many destinations send() can name (sockaddr_ll kept for each) */
  destinations: number;
  /**
   * frames sent go straight to the device (PACKET_QDISC_BYPASS): no qdisc (a veth has
   * none), no packet taps, so other packet sockets on the interface do not see them.
   * The relay's: 11–16% more throughput, measured (docs/PERFORMANCE.md, The relay).
   */
  direct?: boolean;
  /** bytes kept of a frame (default SLOT_BYTES, the largest a veth carries); the filter cuts what it keeps to fit */
  slotBytes?: number;
}

/**
 * A frame just read: `data` is a view of its slot, valid only until the next batch is
 * read. `sec`/`nsec`: its kernel timestamp (CLOCK_REALTIME), or -1 when it has none.
 */
export type FrameHandler = (data: Buffer, ifindex: number, pkttype: number, sec: number, nsec: number) => void;

/** What native/relay.c needs of a socket to read and send with it: its descriptor and batch memory. */
export interface FastPath {
  fd: number;
  rxHdrs: number;
  rxNames: number;
  rxControl: number;
  slots: number;
  slotBytes: number;
  txHdrs: number;
  txIov: number;
  dests: number;
}

/**
 * The memory of a socket's batches: message headers pointing at names, control
 * buffers and slots, and the same for sends. Set up once, and handed to the next
 * socket when one closes, so that a run's cases do not each leave megabytes behind
 * for the garbage collector to find.
 */
class Arena {
  readonly rxHdrs = pinned(BATCH * MMSG);
  readonly rxIov = pinned(BATCH * IOV);
  readonly rxNames = pinned(BATCH * SLL);
  readonly rxControl = pinned(BATCH * CONTROL);
  readonly slots: { buf: Buffer; addr: number };
  readonly txHdrs = pinned(BATCH * MMSG);
  readonly txIov = pinned(BATCH * IOV);
  readonly staging = pinned(STAGING_BYTES);

  constructor(readonly slotBytes: number) {
    this.slots = pinned(BATCH * slotBytes);
    for (let i = 0; i < BATCH; i++) {
      const h = i * MMSG;
      writePtr(this.rxHdrs.buf, h + M_NAME, this.rxNames.addr + i * SLL);
      writePtr(this.rxHdrs.buf, h + M_IOV, this.rxIov.addr + i * IOV);
      this.rxHdrs.buf.writeUInt32LE(1, h + M_IOVLEN);
      writePtr(this.rxHdrs.buf, h + M_CONTROL, this.rxControl.addr + i * CONTROL);
      writePtr(this.rxIov.buf, i * IOV, this.slots.addr + i * slotBytes);
      this.rxIov.buf.writeUInt32LE(slotBytes, i * IOV + 8);
      writePtr(this.txHdrs.buf, h + M_IOV, this.txIov.addr + i * IOV);
      this.txHdrs.buf.writeUInt32LE(1, h + M_IOVLEN);
      this.txHdrs.buf.writeUInt32LE(SLL, h + M_NAMELEN);
    }
  }
}

const spareArenas: Arena[] = [];
const SPARE_ARENAS = 3;

function takeArena(slotBytes: number): Arena {
  const i = spareArenas.findIndex((a) => a.slotBytes === slotBytes);
  return i >= 0 ? spareArenas.splice(i, 1)[0] : new Arena(slotBytes);
}

export class PacketSocket {
  readonly fd: number;
  private readonly arena: Arena;
  private readonly rxHdrs: Buffer;
  private readonly rxNames: Buffer;
  private readonly rxControl: Buffer;
  private readonly slots: Buffer;
  private readonly dests: { buf: Buffer; addr: number };
  private readonly ifreq = pinned(40);
  private readonly pollfd = pinned(8);
  private readonly txTags: number[] = new Array<number>(BATCH).fill(0);
  private txCount = 0;
  private stagingUsed = 0;
  private draining = false;
  /** the frame being handed to the handler now, in its slot */
  private current: Buffer | null = null;
  private watcher: import('koffi').node.PollHandle | null = null;
  private closed = false;

  /**
   * Open a packet socket in the calling thread's network namespace. It receives
   * nothing until bind(): set its filter first.
   * `onSendFailed(tag, errno name)`: a queued frame the kernel refused.
   */
  constructor(
    options: PacketSocketOptions,
    private readonly onSendFailed: (tag: number, code: string) => void,
  ) {
    // protocol 0: not receiving until bind(), so the filter is in place before the first frame
    this.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    try {
      if (options.ignoreOutgoing) setsockoptInt(this.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, 'setsockopt(PACKET_IGNORE_OUTGOING)');
      bufferSize(this.fd, SO_RCVBUFFORCE, SO_RCVBUF, options.receiveBuffer);
      // a send is done with its buffer once the veth has handed the frame on; room for a batch of big ones
      bufferSize(this.fd, SO_SNDBUFFORCE, SO_SNDBUF, 8 * 1024 * 1024);
      setsockoptInt(this.fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, 'setsockopt(SO_TIMESTAMPNS)');
      if (options.direct) setsockoptInt(this.fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, 'setsockopt(PACKET_QDISC_BYPASS)');
    } catch (e) {
      void closeAsync(this.fd).catch(() => undefined);
      throw e;
    }
    this.arena = takeArena(options.slotBytes ?? SLOT_BYTES);
    this.rxHdrs = this.arena.rxHdrs.buf;
    this.rxNames = this.arena.rxNames.buf;
    this.rxControl = this.arena.rxControl.buf;
    this.slots = this.arena.slots.buf;
    this.dests = pinned(Math.max(1, options.destinations) * SLL);
    this.resetReceive(BATCH);
  }

  /** Its descriptor and batch memory, for a reader in C that reads and sends as drain() and flush() do. */
  fastPath(): FastPath {
    const a = this.arena;
    return {
      fd: this.fd,
      rxHdrs: a.rxHdrs.addr,
      rxNames: a.rxNames.addr,
      rxControl: a.rxControl.addr,
      slots: a.slots.addr,
      slotBytes: a.slotBytes,
      txHdrs: a.txHdrs.addr,
      txIov: a.txIov.addr,
      dests: this.dests.addr,
    };
  }

  /** Start receiving what the filter lets through, on interface `ifindex` (0: on every one). */
  bind(ifindex = 0): void {
    bind(this.fd, sockaddrLl(ifindex));
  }

  /** A classic BPF program (struct sock_filter[]), applied before anything is queued. */
  setFilter(program: Buffer): void {
    const prog = pinned(program.length);
    program.copy(prog.buf);
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(program.length / 8, 0);
    writePtr(fprog, 8, prog.addr);
    setsockoptBytes(this.fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 'setsockopt(SO_ATTACH_FILTER)');
  }

  /** The index of interface `name` in the socket's namespace; 0 when there is none. */
  ifindex(name: string): number {
    this.ifreq.buf.fill(0);
    this.ifreq.buf.write(name, 0, 15, 'latin1');
    if (Number(c.ioctl(this.fd, SIOCGIFINDEX, this.ifreq.addr)) < 0) return 0;
    return this.ifreq.buf.readInt32LE(16);
  }

  /** Where send(`dest`, …) goes: out of interface `ifindex` (0: nowhere, the frame fails). */
  setDestination(dest: number, ifindex: number): void {
    sockaddrLl(ifindex).copy(this.dests.buf, dest * SLL);
  }

  /** Call `fn` from the event loop whenever frames are waiting. */
  watch(fn: () => void): void {
    const onPoll = (status: number) => {
      fn();
      // a pending socket error (ENETDOWN: bound while its interface was down, as a guest's
      // port is until the guest brings its link up) makes libuv stop the poll and report
      // UV_EBADF; fn() read the error away, so watch again
      if (status < 0 && !this.closed) this.watcher?.start({ readable: true }, onPoll as never);
    };
    this.watcher = koffi.node.poll(this.fd, { readable: true }, onPoll as never);
  }

  private resetReceive(n: number): void {
    const h = this.rxHdrs;
    for (let i = 0; i < n; i++) {
      h.writeUInt32LE(SLL, i * MMSG + M_NAMELEN);
      h.writeUInt32LE(CONTROL, i * MMSG + M_CONTROLLEN);
    }
  }

  /**
   * Read what is waiting, a batch at a time, up to `max` frames; the frames queued by
   * `onFrame` leave after each batch. Returns the number of frames read.
   */
  drain(onFrame: FrameHandler, max = 4096): number {
    if (this.closed || this.draining) return 0;
    this.draining = true;
    let total = 0;
    try {
      while (total < max) {
        const n = Number(c.recvmmsg(this.fd, this.arena.rxHdrs.addr, BATCH, MSG_DONTWAIT, 0));
        if (n < 0) {
          const code = lastErrno();
          // ENETDOWN: the interface a socket is bound to went down (reported once, then cleared)
          if (code === 'EINTR' || code === 'ENETDOWN') continue;
          if (code === 'EAGAIN') break;
          throw new SocketError(code, 'recvmmsg');
        }
        const h = this.rxHdrs;
        const names = this.rxNames;
        const ctl = this.rxControl;
        const slotBytes = this.arena.slotBytes;
        for (let i = 0; i < n; i++) {
          const m = i * MMSG;
          let len = h.readUInt32LE(m + M_LEN);
          if (h.readInt32LE(m + M_FLAGS) & MSG_TRUNC) len = slotBytes; // the filter keeps no more than a slot holds
          let sec = -1;
          let nsec = 0;
          const c0 = i * CONTROL;
          if (h.readUInt32LE(m + M_CONTROLLEN) >= 32 && ctl.readInt32LE(c0 + 8) === SOL_SOCKET && ctl.readInt32LE(c0 + 12) === SCM_TIMESTAMPNS) {
            sec = ctl.readUInt32LE(c0 + 16) + ctl.readUInt32LE(c0 + 20) * 0x1_0000_0000;
            nsec = ctl.readUInt32LE(c0 + 24);
          }
          const s = i * slotBytes;
          const view = this.slots.subarray(s, s + len);
          this.current = view;
          onFrame(view, names.readInt32LE(i * SLL + 4), names[i * SLL + 10], sec, nsec);
          this.current = null;
        }
        this.resetReceive(n);
        this.flush();
        total += n;
        if (n < BATCH) break;
      }
    } finally {
      this.draining = false;
      this.current = null;
      this.flush();
    }
    return total;
  }

  /**
   * Send `data` to destination `dest`. Queued while a batch is handled (it leaves before
   * the next batch is read), sent at once otherwise. `tag` comes back to onSendFailed.
   */
  send(dest: number, data: Buffer, tag: number): void {
    if (this.closed) return;
    let addr: number;
    const a = this.arena;
    // the frame being handed out goes from its slot (asking any buffer for its
    // ArrayBuffer would cost more than the rest of this function)
    if (data === this.current) {
      addr = a.slots.addr + data.byteOffset;
    } else {
      if (data.length > STAGING_BYTES) throw new Error(`frame of ${data.length} bytes: the wire carries at most ${STAGING_BYTES}`);
      if (this.stagingUsed + data.length > STAGING_BYTES) this.flush();
      data.copy(a.staging.buf, this.stagingUsed);
      addr = a.staging.addr + this.stagingUsed;
      this.stagingUsed += (data.length + 7) & ~7;
    }
    if (this.txCount === BATCH) this.flush();
    const i = this.txCount++;
    writePtr(a.txIov.buf, i * IOV, addr);
    a.txIov.buf.writeUInt32LE(data.length, i * IOV + 8);
    writePtr(a.txHdrs.buf, i * MMSG + M_NAME, this.dests.addr + dest * SLL);
    this.txTags[i] = tag;
    if (!this.draining) this.flush();
  }

  /**
   * Send what is queued, in order; a frame the kernel refuses is reported and skipped,
   * never sent again (a veth that drops a frame has already counted it). sendmmsg tells
   * the error of a batch's first frame only: a frame refused after others went out is
   * reported as UNKNOWN_SEND_ERROR.
   */
  flush(): void {
    let i = 0;
    while (i < this.txCount) {
      const r = Number(c.sendmmsg(this.fd, this.arena.txHdrs.addr + i * MMSG, this.txCount - i, 0));
      if (r > 0) {
        i += r;
        if (i < this.txCount) {
          this.onSendFailed(this.txTags[i], UNKNOWN_SEND_ERROR);
          i++;
        }
        continue;
      }
      const code = lastErrno();
      if (code === 'EINTR') continue;
      // the socket is non-blocking (libuv polls it); its send buffer is large, so this
      // is rare and short: wait for room, then try the same frame again
      if (code === 'EAGAIN' && this.waitWritable()) continue;
      this.onSendFailed(this.txTags[i], code);
      i++;
    }
    this.txCount = 0;
    this.stagingUsed = 0;
  }

  private waitWritable(): boolean {
    this.pollfd.buf.writeInt32LE(this.fd, 0);
    this.pollfd.buf.writeInt16LE(POLLOUT, 4);
    this.pollfd.buf.writeInt16LE(0, 6);
    return Number(c.poll(this.pollfd.addr, 1, 1000)) > 0;
  }

  /**
   * Stop watching and close. The kernel waits for an RCU grace period when a packet
   * socket closes (packet_release → synchronize_net, tens of milliseconds on a busy
   * machine): that happens on a libuv worker thread, not in the caller's way.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    // uv_close takes the descriptor out of epoll before it is closed
    this.watcher?.close();
    this.watcher = null;
    // nothing in the kernel points at the arena once the last call has returned
    if (spareArenas.length < SPARE_ARENAS) spareArenas.push(this.arena);
    return closeAsync(this.fd).catch(() => undefined);
  }
}

const CLOCK_REALTIME = 0;
const timespec = pinned(16);

/** a reading of the realtime clock between two of the monotonic one further apart than this is not trusted */
const OFFSET_GAP_NS = 50_000n;
let lastOffset: bigint | null = null;

/**
 * CLOCK_REALTIME − CLOCK_MONOTONIC in nanoseconds, now: what turns a kernel timestamp
 * into the monotonic clock of process.hrtime and of the tracefs instance. A reading is
 * off by up to half the time between its two monotonic readings: on a loaded machine the
 * process can be preempted there for tens of ms, which moved a whole batch of frames that
 * much in time. Such a reading is taken again, and after three the last trusted offset
 * stands (the two clocks drift apart by microseconds a second at most).
 */
export function realtimeOffset(): bigint {
  let offset: bigint | null = null;
  for (let i = 0; i < 3 && offset === null; i++) {
    const before = process.hrtime.bigint();
    c.clock_gettime(CLOCK_REALTIME, timespec.addr);
    const after = process.hrtime.bigint();
    offset = trustedOffset(before, timespec.buf.readBigInt64LE(0) * 1_000_000_000n + timespec.buf.readBigInt64LE(8), after, lastOffset);
  }
  return (lastOffset = offset ?? lastOffset!);
}

/** The offset one reading gives, or null when its monotonic readings are too far apart to trust it and an earlier offset exists. */
export function trustedOffset(before: bigint, realtime: bigint, after: bigint, previous: bigint | null): bigint | null {
  if (after - before > OFFSET_GAP_NS && previous !== null) return null;
  return realtime - (before + after) / 2n;
}
