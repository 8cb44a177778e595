/**
 * A real kernel TCP socket inside a host, driven call by call through the host's
 * system calls (its namespace's libc, or the agent inside a guest: syscalls.ts).
 *
 * The fd is non-blocking; every call is tried at once and, when the kernel says
 * EAGAIN, waits for readiness with poll() in short slices (on a libuv worker thread,
 * here or in the guest), so a case can have many calls pending without starving the
 * thread pool and a cancelled case stops waiting within one slice.
 */
import * as libc from './libc.js';
import { SocketError, errnoName } from './libc.js';
import { encodeSockaddr, familyOf, type Endpoint } from './sockaddr.js';
import { SocketOptions, applyOptions, getIntOption, setIntOption, getLinger, setLinger, SO_ERROR, TCP_INFO } from './options.js';
import { learnTuple, type Syscalls } from './syscalls.js';
import { decodeTcpInfo, TCP_INFO_SIZE, type TcpInfo } from './tcp-info.js';
import { InputError } from '../input-error.js';

const POLL_SLICE_MS = 25;
const READ_CHUNK = 256 * 1024;
/** per send(): a guest's agent gets the data in pieces its line protocol carries well */
const WRITE_CHUNK = 256 * 1024;

export type Family = 4 | 6;

export interface SocketHost {
  name: string;
  /** the host's system calls: where its sockets live */
  sys: Syscalls;
  address(family: Family): string;
}

/** One call a socket made and how it ended, for the trace and the ladder. */
export interface SocketCall {
  /** monotonic ns at the start of the call */
  t: bigint;
  /** ms the call took */
  ms: number;
  host: string;
  socket: string;
  call: string;
  args?: string;
  /** "ok", an errno name, or a short result like "EOF after 102400 bytes" */
  result: string;
}

/** What the case runtime needs of any socket it tracks (ours, or one of Node's net). */
export interface TrackedSocket {
  readonly label: string;
  readonly host: { name: string };
  local: Endpoint | null;
  remote: Endpoint | null;
  /** monotonic ns when the socket got its current 4-tuple */
  tupleSince: bigint;
  /** the case closed it (a stack that sees sockets only by their descriptor sees no more of it) */
  readonly isClosed: boolean;
  /** made by accept(): it waited in the accept queue, where such a stack does not see it */
  readonly accepted: boolean;
  forceClose(): void;
}

export interface ObservedTransition {
  /** seconds since the case started */
  t: number;
  from: string;
  to: string;
  /** tracepoint, sock_diag or api */
  source: string;
}

export interface SocketContext {
  signal: AbortSignal;
  /** the state transitions observed so far for `socket` (after the kernel's events are in) */
  transitions(socket: TrackedSocket): Promise<ObservedTransition[]>;
  record(call: SocketCall): void;
  /**
   * `call` has started. The function returned is called when it ends and says whether
   * to record it: not when the case already recorded it as pending (it ended first).
   */
  started(call: SocketCall): () => boolean;
  /** track `socket`; `target` is the object cases pass to expect() (default: the socket) */
  adopt(socket: TrackedSocket, target?: object): void;
  nextLabel(host: string): string;
}

export type Shutdown = 'read' | 'write' | 'both';

/** A case's socket calls that have started and not ended yet. */
export class PendingCalls {
  private readonly calls = new Set<SocketCall>();

  /** SocketContext.started */
  start(call: SocketCall): () => boolean {
    this.calls.add(call);
    return () => this.calls.delete(call);
  }

  /** The calls still pending, as if they ended now with `(pending at <when>)`; they are not recorded again when they do end. */
  take(when: string): SocketCall[] {
    const now = process.hrtime.bigint();
    const out = [...this.calls].map((c) => ({ ...c, ms: Number(now - c.t) / 1e6, result: `(pending at ${when})` }));
    this.calls.clear();
    return out;
  }
}

export class TcpSocket implements TrackedSocket {
  private closed = false;
  /** monotonic ns when the socket got its current 4-tuple */
  tupleSince: bigint = process.hrtime.bigint();
  local: Endpoint | null = null;
  remote: Endpoint | null = null;
  /** bytes read, for the trace */
  bytesRead = 0;
  bytesWritten = 0;

  accepted = false;
  /** the fd once the socket exists; socket() and the options run before the first call */
  private readonly opened: Promise<number>;
  private fdNow: number | null = null;
  private readonly sys: Syscalls;

  constructor(
    readonly host: SocketHost,
    readonly family: Family,
    fd: number | Promise<number>,
    readonly label: string,
    private readonly ctx: SocketContext,
  ) {
    this.sys = host.sys;
    this.opened = Promise.resolve(fd).then((n) => {
      this.fdNow = n;
      if (this.closed) this.sys.closeNow(n);
      return n;
    });
    // a socket that could not be made fails its first call; until then nobody waits on it
    this.opened.catch(() => undefined);
  }

  /**
   * An unbound socket with `options` applied. Bad options throw at once; the socket
   * itself is made (and a kernel refusal of an option seen) before its first call.
   */
  static create(host: SocketHost, family: Family, options: SocketOptions, ctx: SocketContext): TcpSocket {
    const parsed = parseOptions(options);
    const domain = family === 6 ? libc.AF_INET6 : libc.AF_INET;
    const fd = host.sys.socket(domain, libc.SOCK_STREAM).then(async (n) => {
      try {
        await applyOptions(host.sys, n, domain, parsed);
      } catch (e) {
        host.sys.closeNow(n);
        throw e;
      }
      return n;
    });
    const sock = new TcpSocket(host, family, fd, ctx.nextLabel(host.name), ctx);
    ctx.adopt(sock);
    return sock;
  }

  /** The fd (after socket() and the options); for calls the socket API has no name for. */
  fd(): Promise<number> {
    return this.opened;
  }

  private get domain(): number {
    return this.family === 6 ? libc.AF_INET6 : libc.AF_INET;
  }

  /**
   * Run a socket call and record it. Its promise counts as handled from the start: a case
   * may start a call, do something else and only then look at its outcome (a connect the
   * peer's RST will fail), which Node would otherwise report as an unhandled rejection
   * when the failure comes first. A failure nobody awaits still shows in the trace.
   */
  private track<T>(name: string, args: string | undefined, fn: () => Promise<T> | T, describe?: (r: T) => string): Promise<T> {
    const p = this.tracked(name, args, fn, describe);
    p.catch(() => {});
    return p;
  }

  private async tracked<T>(name: string, args: string | undefined, fn: () => Promise<T> | T, describe?: (r: T) => string): Promise<T> {
    const call: SocketCall = { t: process.hrtime.bigint(), ms: 0, host: this.host.name, socket: this.label, call: name, args, result: '(pending)' };
    const ended = this.ctx.started(call);
    const done = (result: string) => {
      if (ended()) this.ctx.record({ ...call, ms: Number(process.hrtime.bigint() - call.t) / 1e6, result });
    };
    try {
      const r = await fn();
      done(describe ? describe(r) : 'ok');
      return r;
    } catch (e) {
      done(e instanceof SocketError ? e.code : (e as Error).message);
      throw e;
    }
  }

  /** The fd, or EBADF once the case closed the socket. */
  private async open(call: string): Promise<number> {
    if (this.closed) throw new SocketError('EBADF', call);
    const fd = await this.opened;
    if (this.closed) throw new SocketError('EBADF', call);
    return fd;
  }

  /** Wait until the fd is ready for `events`; returns revents. */
  private async ready(fd: number, events: number, call: string): Promise<number> {
    for (;;) {
      if (this.ctx.signal.aborted) throw new SocketError('ECANCELED', call);
      const revents = await this.sys.poll(fd, events | libc.POLLERR | libc.POLLHUP, POLL_SLICE_MS);
      if (revents) return revents;
    }
  }

  /** Learn the 4-tuple; a failed connect leaves the last one known, for the trace. */
  private refreshTuple(fd: number): Promise<void> {
    return learnTuple(this.sys, fd, this);
  }

  bind(port: number, address?: string): Promise<void> {
    const addr = address ?? this.host.address(this.family);
    return this.track('bind', `${fmt({ address: addr, port })}`, async () => {
      const fd = await this.open('bind');
      await this.sys.bind(fd, encodeSockaddr({ address: addr, port }));
      await this.refreshTuple(fd);
    });
  }

  listen(backlog = 128): Promise<void> {
    return this.track('listen', String(backlog), async () => {
      const fd = await this.open('listen');
      await this.sys.listen(fd, backlog);
      await this.refreshTuple(fd);
    });
  }

  connect(address: string, port: number): Promise<void> {
    if (familyOf(address) !== this.domain) {
      return Promise.reject(new InputError(`connect: ${address} is not an IPv${this.family} address (socket ${this.label})`));
    }
    return this.track('connect', fmt({ address, port }), async () => {
      const fd = await this.open('connect');
      this.remote = { address, port }; // the peer it tries, even if the attempt fails
      if (!(await this.sys.connect(fd, encodeSockaddr({ address, port })))) {
        await this.refreshTuple(fd);
        await this.ready(fd, libc.POLLOUT, 'connect');
        const err = await soError(this.sys, fd);
        if (err) throw new SocketError(errnoName(err), 'connect');
      }
      await this.refreshTuple(fd);
    });
  }

  accept(): Promise<TcpSocket> {
    return this.track(
      'accept',
      undefined,
      async () => {
        for (;;) {
          const fd = await this.open('accept');
          const childFd = await this.sys.accept(fd);
          if (childFd !== null) {
            const child = new TcpSocket(this.host, this.family, childFd, this.ctx.nextLabel(this.host.name), this.ctx);
            child.accepted = true;
            this.ctx.adopt(child);
            await child.refreshTuple(childFd);
            return child;
          }
          await this.ready(fd, libc.POLLIN, 'accept');
        }
      },
      (c) => `${c.label} from ${c.remote ? fmt(c.remote) : '?'}`,
    );
  }

  /** Write all of `data`; a number writes that many bytes of a repeating pattern. */
  write(data: Buffer | string | number): Promise<number> {
    // a pattern is sent from one block of it, not made whole: a bulk case writes megabytes
    const length = typeof data === 'number' ? data : data.length;
    const buf = typeof data === 'number' ? null : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const chunk = (off: number) => (buf ? buf.subarray(off, off + WRITE_CHUNK) : patternChunk(off, Math.min(WRITE_CHUNK, length - off)));
    return this.track('write', byteCount(length), async () => {
      let off = 0;
      while (off < length) {
        const fd = await this.open('write');
        const n = await this.sys.send(fd, chunk(off));
        off += n;
        if (n === 0) {
          const revents = await this.ready(fd, libc.POLLOUT, 'write');
          if (revents & libc.POLLERR) throw await pendingError(this.sys, fd, 'write');
        }
      }
      this.bytesWritten += length;
      return length;
    });
  }

  /** `read()` reads to EOF; `read(n)` reads exactly n bytes, or fewer if EOF comes first. */
  read(n?: number): Promise<Buffer> {
    return this.track(
      'read',
      n === undefined ? 'to EOF' : byteCount(n),
      async () => {
        const chunks: Buffer[] = [];
        let total = 0;
        while (n === undefined || total < n) {
          const fd = await this.open('read');
          const want = n === undefined ? READ_CHUNK : Math.min(READ_CHUNK, n - total);
          const got = await this.sys.recv(fd, want);
          if (got === null) {
            await this.ready(fd, libc.POLLIN | libc.POLLRDHUP, 'read');
            continue;
          }
          if (got.length === 0) break;
          chunks.push(Buffer.from(got));
          total += got.length;
        }
        this.bytesRead += total;
        return Buffer.concat(chunks, total);
      },
      (b) => (n === undefined || b.length < n ? `EOF after ${byteCount(b.length)}` : byteCount(b.length)),
    );
  }

  /** Stop reading: data the peer sends stays in the kernel's receive queue. */
  pauseReading(): void {
    this.ctx.record({ t: process.hrtime.bigint(), ms: 0, host: this.host.name, socket: this.label, call: 'pauseReading', result: 'ok' });
  }

  shutdown(how: Shutdown = 'write'): Promise<void> {
    const code = { read: libc.SHUT_RD, write: libc.SHUT_WR, both: libc.SHUT_RDWR }[how];
    return this.track('shutdown', how, async () => {
      await this.sys.shutdown(await this.open('shutdown'), code);
    });
  }

  /** close(); with SO_LINGER > 0 it resolves only when the kernel's close() returns. */
  close(): Promise<void> {
    return this.track('close', undefined, async () => {
      const fd = await this.open('close');
      this.closed = true;
      await this.sys.close(fd);
    });
  }

  /** Abortive close: SO_LINGER {on, 0} then close() — RST instead of FIN. */
  abort(): Promise<void> {
    return this.track('abort', 'SO_LINGER {1, 0} + close', async () => {
      const fd = await this.open('abort');
      await setLinger(this.sys, fd, { seconds: 0 });
      this.closed = true;
      await this.sys.close(fd);
    });
  }

  /** The state transitions observed so far (tracepoint and sock_diag, merged). */
  transitions(): Promise<ObservedTransition[]> {
    return this.ctx.transitions(this);
  }

  /** TCP_INFO now. */
  async info(): Promise<TcpInfo> {
    const fd = await this.open('info');
    return decodeTcpInfo(await this.sys.getsockopt(fd, libc.IPPROTO_TCP, TCP_INFO, TCP_INFO_SIZE, 'getsockopt(TCP_INFO)'));
  }

  async getsockopt(name: string): Promise<number | { seconds: number } | false> {
    const fd = await this.open('getsockopt');
    return name === 'SO_LINGER' ? getLinger(this.sys, fd) : getIntOption(this.sys, fd, this.domain, name);
  }

  async setsockopt(name: string, value: number | boolean | { seconds: number } | false): Promise<void> {
    const fd = await this.open('setsockopt');
    if (name === 'SO_LINGER') await setLinger(this.sys, fd, value as { seconds: number } | false);
    else await setIntOption(this.sys, fd, this.domain, name, typeof value === 'boolean' ? Number(value) : (value as number));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Teardown: close without waiting for anything (SO_LINGER off first). */
  forceClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fdNow !== null) this.sys.closeNow(this.fdNow);
  }
}

/** Socket options from a case: one line naming the option and what is wrong with it. */
function parseOptions(options: unknown): SocketOptions {
  const r = SocketOptions.safeParse(options);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new InputError(`socket options: unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(SocketOptions.shape).join(', ')})`);
  }
  // in a union (linger: false | { seconds }) the branch that got furthest says what is wrong
  let path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'invalid_union') {
    const deepest = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest) {
      path = [...path, ...deepest.path.map(String)];
      message = deepest.message;
    }
  }
  throw new InputError(`socket options: ${path.join('.') || '(options)'}: ${message.replace(/^Invalid input: /, '')}`);
}

function fmt(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function byteCount(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

let patternBlock: Buffer | null = null;

/** Bytes [off, off + n) of the pattern, n ≤ WRITE_CHUNK, as a view of one shared block. */
function patternChunk(off: number, n: number): Buffer {
  patternBlock ??= pattern(WRITE_CHUNK + 251);
  const start = off % 251;
  return patternBlock.subarray(start, start + n);
}


async function soError(sys: Syscalls, fd: number): Promise<number> {
  return (await sys.getsockopt(fd, libc.SOL_SOCKET, SO_ERROR, 4, 'getsockopt(SO_ERROR)')).readInt32LE(0);
}

async function pendingError(sys: Syscalls, fd: number, call: string): Promise<SocketError> {
  const err = await soError(sys, fd);
  return new SocketError(err ? errnoName(err) : 'EPIPE', call);
}

export { pattern as patternBytes };
