/**
 * A real kernel TCP socket inside a host's namespace, driven call by call.
 *
 * The fd is non-blocking; every call is tried at once and, when the kernel says
 * EAGAIN, waits for readiness with poll() on a libuv worker thread in short slices,
 * so a case can have many calls pending without starving the thread pool and a
 * cancelled case stops waiting within one slice.
 */
import { inNamespace } from '../topology/netns.js';
import * as libc from './libc.js';
import { SocketError, errnoName } from './libc.js';
import { encodeSockaddr, decodeSockaddr, familyOf, type Endpoint } from './sockaddr.js';
import { SocketOptions, applyOptions, getIntOption, setIntOption, getLinger, setLinger, SO_ERROR, TCP_INFO } from './options.js';
import { decodeTcpInfo, TCP_INFO_SIZE, type TcpInfo } from './tcp-info.js';
import { InputError } from '../input-error.js';

const POLL_SLICE_MS = 25;
const READ_CHUNK = 256 * 1024;

export type Family = 4 | 6;

export interface SocketHost {
  name: string;
  ns: string;
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

  constructor(
    readonly host: SocketHost,
    readonly family: Family,
    readonly fd: number,
    readonly label: string,
    private readonly ctx: SocketContext,
  ) {}

  static create(host: SocketHost, family: Family, options: SocketOptions, ctx: SocketContext): TcpSocket {
    const parsed = parseOptions(options);
    const domain = family === 6 ? libc.AF_INET6 : libc.AF_INET;
    const fd = inNamespace(host.ns, () =>
      libc.socket(domain, libc.SOCK_STREAM | libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC),
    );
    const sock = new TcpSocket(host, family, fd, ctx.nextLabel(host.name), ctx);
    ctx.adopt(sock);
    try {
      applyOptions(fd, domain, parsed);
    } catch (e) {
      sock.forceClose();
      throw e;
    }
    return sock;
  }

  private get domain(): number {
    return this.family === 6 ? libc.AF_INET6 : libc.AF_INET;
  }

  private async track<T>(name: string, args: string | undefined, fn: () => Promise<T> | T, describe?: (r: T) => string): Promise<T> {
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

  private ensureOpen(call: string): void {
    if (this.closed) throw new SocketError('EBADF', call);
  }

  /** Wait until the fd is ready for `events`; returns revents. */
  private async ready(events: number, call: string): Promise<number> {
    for (;;) {
      if (this.ctx.signal.aborted) throw new SocketError('ECANCELED', call);
      const revents = await libc.pollAsync(this.fd, events | libc.POLLERR | libc.POLLHUP, POLL_SLICE_MS);
      if (revents) return revents;
    }
  }

  /** Learn the 4-tuple; a failed connect leaves the last one known, for the trace. */
  private refreshTuple(): void {
    try {
      const local = decodeSockaddr(libc.getsockname(this.fd));
      if (local.port !== 0 || !this.local) this.local = local;
    } catch {
      // keep what we knew
    }
    try {
      this.remote = decodeSockaddr(libc.getpeername(this.fd));
    } catch {
      // not connected (yet, or any more)
    }
    this.tupleSince = process.hrtime.bigint();
  }

  bind(port: number, address?: string): Promise<void> {
    const addr = address ?? this.host.address(this.family);
    return this.track('bind', `${fmt({ address: addr, port })}`, () => {
      this.ensureOpen('bind');
      libc.bind(this.fd, encodeSockaddr({ address: addr, port }));
      this.refreshTuple();
    });
  }

  listen(backlog = 128): Promise<void> {
    return this.track('listen', String(backlog), () => {
      this.ensureOpen('listen');
      libc.listen(this.fd, backlog);
      this.refreshTuple();
    });
  }

  connect(address: string, port: number): Promise<void> {
    if (familyOf(address) !== this.domain) {
      return Promise.reject(new InputError(`connect: ${address} is not an IPv${this.family} address (socket ${this.label})`));
    }
    return this.track('connect', fmt({ address, port }), async () => {
      this.ensureOpen('connect');
      this.remote = { address, port }; // the peer it tries, even if the attempt fails
      if (!libc.connectStart(this.fd, encodeSockaddr({ address, port }))) {
        this.refreshTuple();
        await this.ready(libc.POLLOUT, 'connect');
        const err = libc.getsockoptInt(this.fd, libc.SOL_SOCKET, SO_ERROR);
        if (err) throw new SocketError(errnoName(err), 'connect');
      }
      this.refreshTuple();
    });
  }

  accept(): Promise<TcpSocket> {
    return this.track(
      'accept',
      undefined,
      async () => {
        for (;;) {
          this.ensureOpen('accept');
          const fd = libc.acceptNow(this.fd);
          if (fd !== null) {
            const child = new TcpSocket(this.host, this.family, fd, this.ctx.nextLabel(this.host.name), this.ctx);
            this.ctx.adopt(child);
            child.refreshTuple();
            return child;
          }
          await this.ready(libc.POLLIN, 'accept');
        }
      },
      (c) => `${c.label} from ${c.remote ? fmt(c.remote) : '?'}`,
    );
  }

  /** Write all of `data`; a number writes that many bytes of a repeating pattern. */
  write(data: Buffer | string | number): Promise<number> {
    const buf = typeof data === 'number' ? pattern(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    return this.track('write', byteCount(buf.length), async () => {
      let off = 0;
      while (off < buf.length) {
        this.ensureOpen('write');
        const n = libc.sendNow(this.fd, buf.subarray(off));
        off += n;
        if (n === 0) {
          const revents = await this.ready(libc.POLLOUT, 'write');
          if (revents & libc.POLLERR) throw pendingError(this.fd, 'write');
        }
      }
      this.bytesWritten += buf.length;
      return buf.length;
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
          this.ensureOpen('read');
          const want = n === undefined ? READ_CHUNK : Math.min(READ_CHUNK, n - total);
          const got = libc.recvNow(this.fd, want);
          if (got === null) {
            await this.ready(libc.POLLIN | libc.POLLRDHUP, 'read');
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
    return this.track('shutdown', how, () => {
      this.ensureOpen('shutdown');
      libc.shutdown(this.fd, code);
    });
  }

  /** close(); with SO_LINGER > 0 it resolves only when the kernel's close() returns. */
  close(): Promise<void> {
    return this.track('close', undefined, async () => {
      this.ensureOpen('close');
      this.closed = true;
      await libc.closeAsync(this.fd);
    });
  }

  /** Abortive close: SO_LINGER {on, 0} then close() — RST instead of FIN. */
  abort(): Promise<void> {
    return this.track('abort', 'SO_LINGER {1, 0} + close', async () => {
      this.ensureOpen('abort');
      setLinger(this.fd, { seconds: 0 });
      this.closed = true;
      libc.closeSync(this.fd);
    });
  }

  /** The state transitions observed so far (tracepoint and sock_diag, merged). */
  transitions(): Promise<ObservedTransition[]> {
    return this.ctx.transitions(this);
  }

  info(): TcpInfo {
    this.ensureOpen('info');
    return decodeTcpInfo(libc.getsockoptBytes(this.fd, libc.IPPROTO_TCP, TCP_INFO, TCP_INFO_SIZE, 'getsockopt(TCP_INFO)'));
  }

  getsockopt(name: string): number | { seconds: number } | false {
    this.ensureOpen('getsockopt');
    return name === 'SO_LINGER' ? getLinger(this.fd) : getIntOption(this.fd, this.domain, name);
  }

  setsockopt(name: string, value: number | boolean | { seconds: number } | false): void {
    this.ensureOpen('setsockopt');
    if (name === 'SO_LINGER') setLinger(this.fd, value as { seconds: number } | false);
    else setIntOption(this.fd, this.domain, name, typeof value === 'boolean' ? Number(value) : (value as number));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Teardown: close without waiting for anything (SO_LINGER off first). */
  forceClose(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      libc.closeSync(this.fd);
    } catch {
      // already gone
    }
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


function pendingError(fd: number, call: string): SocketError {
  const err = libc.getsockoptInt(fd, libc.SOL_SOCKET, SO_ERROR);
  return new SocketError(err ? errnoName(err) : 'EPIPE', call);
}

export { pattern as patternBytes };
