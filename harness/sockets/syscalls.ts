/**
 * The socket system calls of one host, the seam between the socket layer and the TCP
 * stack that runs them. On a namespace host they are libc calls made from this process
 * (the socket created inside the host's namespace); on a guest (User-Mode Linux, gVisor)
 * they travel to the agent inside the guest, which runs this same local implementation
 * there. Every call fails with a SocketError naming the errno.
 */
import { readlinkSync } from 'node:fs';
import { inNamespace } from '../topology/netns.js';
import * as libc from './libc.js';
import { decodeSockaddr, type Endpoint } from './sockaddr.js';

export interface Syscalls {
  /** a non-blocking, close-on-exec socket of `type` (SOCK_STREAM …) in the host */
  socket(domain: number, type: number, protocol?: number): Promise<number>;
  setsockopt(fd: number, level: number, name: number, value: Buffer, call?: string): Promise<void>;
  getsockopt(fd: number, level: number, name: number, size: number, call?: string): Promise<Buffer>;
  bind(fd: number, addr: Buffer): Promise<void>;
  listen(fd: number, backlog: number): Promise<void>;
  /** true when connected at once, false when in progress (EINPROGRESS) */
  connect(fd: number, addr: Buffer): Promise<boolean>;
  /** the accepted fd (non-blocking), or null when none is pending */
  accept(fd: number): Promise<number | null>;
  /** what is there: bytes, an empty buffer at EOF, null when nothing is pending */
  recv(fd: number, max: number, flags?: number): Promise<Buffer | null>;
  /** what fits now: the count sent, 0 when the buffer is full */
  send(fd: number, data: Buffer, flags?: number): Promise<number>;
  shutdown(fd: number, how: number): Promise<void>;
  /**
   * close(); with SO_LINGER > 0 it returns when the kernel's close() does. `inKernel`
   * (for a call that may block): called, before it returns, once the call is surely being
   * made, which in a guest is a control-link trip after this call.
   */
  close(fd: number, inKernel?: () => void): Promise<void>;
  /** wait up to `ms` for `events`; revents, 0 on timeout. `inKernel`: as close()'s. */
  poll(fd: number, events: number, ms: number, inKernel?: () => void): Promise<number>;
  /**
   * getsockname() and getpeername() at once — one trip into a guest, where every call is
   * a round trip on the control link — each null when it fails (not bound, not connected).
   */
  names(fd: number): Promise<{ local: Buffer | null; remote: Buffer | null }>;
  /** fcntl(fd, cmd, arg) with an integer argument; the result */
  fcntl(fd: number, cmd: number, arg: number): Promise<number>;
  /** ioctl(fd, request, &int); the int it wrote */
  ioctlInt(fd: number, request: number): Promise<number>;
  /** teardown: close without waiting for anything, errors ignored */
  closeNow(fd: number): void;
}

/** The calls of a namespace host, made from this process. */
export function localSyscalls(ns: string | null): Syscalls {
  return {
    socket: async (domain, type, protocol = 0) => {
      const flags = libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC;
      return ns === null ? libc.socket(domain, type | flags, protocol) : inNamespace(ns, () => libc.socket(domain, type | flags, protocol));
    },
    setsockopt: async (fd, level, name, value, call) => libc.setsockoptBytes(fd, level, name, value, call),
    getsockopt: async (fd, level, name, size, call) => libc.getsockoptBytes(fd, level, name, size, call),
    bind: async (fd, addr) => libc.bind(fd, addr),
    listen: async (fd, backlog) => libc.listen(fd, backlog),
    connect: async (fd, addr) => libc.connectStart(fd, addr),
    accept: async (fd) => libc.acceptNow(fd),
    recv: async (fd, max, flags) => libc.recvNow(fd, max, flags),
    send: async (fd, data, flags) => libc.sendNow(fd, data, flags),
    shutdown: async (fd, how) => libc.shutdown(fd, how),
    close: (fd, inKernel) => {
      if (!inKernel) return libc.closeAsync(fd);
      const open = fdTarget(fd);
      const closing = libc.closeAsync(fd);
      const entered = closeEntered(fd, open, closing).then(inKernel);
      return closing.then(
        () => entered,
        (e) => entered.then(() => Promise.reject(e)),
      );
    },
    poll: (fd, events, ms, inKernel) => {
      const polling = ms === 0 ? Promise.resolve(libc.pollNow(fd, events)) : libc.pollAsync(fd, events, ms);
      inKernel?.();
      return polling;
    },
    names: async (fd) => ({ local: orNull(() => libc.getsockname(fd)), remote: orNull(() => libc.getpeername(fd)) }),
    fcntl: async (fd, cmd, arg) => libc.fcntl(fd, cmd, arg),
    ioctlInt: async (fd, request) => libc.ioctlInt(fd, request),
    closeNow: (fd) => {
      try {
        libc.closeSync(fd);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * When the worker thread's close() is surely in the kernel: the fd leaves the table as
 * the call enters, so its /proc link changes (gone, or reused by another file). The
 * thread may start long after it was queued on a loaded machine, and with SO_LINGER the
 * FIN goes on the wire at that moment, not at the queueing.
 */
async function closeEntered(fd: number, open: string | null, closing: Promise<void>): Promise<void> {
  const settled = closing.then(
    () => undefined,
    () => undefined,
  );
  while (open !== null && fdTarget(fd) === open) {
    const done = await Promise.race([settled.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 1))]);
    if (done) return;
  }
}

function fdTarget(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

function orNull<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** What the trace knows of a socket's addresses, and since when. */
export interface KnownTuple {
  local: Endpoint | null;
  remote: Endpoint | null;
  tupleSince: bigint;
}

/**
 * Learn a socket's addresses again. What a call cannot tell — not bound, not connected
 * (yet, or any more; a failed connect), the guest gone — leaves what was known.
 */
export async function learnTuple(sys: Syscalls, fd: number, s: KnownTuple): Promise<void> {
  try {
    const { local, remote } = await sys.names(fd);
    const l = local && decodeSockaddr(local);
    if (l && (l.port !== 0 || !s.local)) s.local = l;
    if (remote) s.remote = decodeSockaddr(remote);
  } catch {
    // the guest is gone
  }
  s.tupleSince = process.hrtime.bigint();
}
