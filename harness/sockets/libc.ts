/**
 * libc through koffi: the socket calls Node cannot make itself (SO_REUSEADDR off,
 * SO_LINGER with any timeout, sockets created inside another network namespace).
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');

const lib = koffi.load('libc.so.6');

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_TCP = 6;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const SOL_SOCKET = 1;
export const CLONE_NEWNET = 0x40000000;
export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLRDHUP = 0x2000;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

const c = {
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
  getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Inout_ void *val, _Inout_ uint32_t *len)'),
  bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
  listen: lib.func('int listen(int fd, int backlog)'),
  connect: lib.func('int connect(int fd, const void *addr, uint32_t len)'),
  accept4: lib.func('int accept4(int fd, void *addr, void *len, int flags)'),
  recv: lib.func('intptr_t recv(int fd, _Out_ void *buf, uintptr_t len, int flags)'),
  send: lib.func('intptr_t send(int fd, const void *buf, uintptr_t len, int flags)'),
  shutdown: lib.func('int shutdown(int fd, int how)'),
  close: lib.func('int close(int fd)'),
  poll: lib.func('int poll(_Inout_ void *fds, uint64_t nfds, int timeout)'),
  setns: lib.func('int setns(int fd, int nstype)'),
  getsockname: lib.func('int getsockname(int fd, _Out_ void *addr, _Inout_ uint32_t *len)'),
  getpeername: lib.func('int getpeername(int fd, _Out_ void *addr, _Inout_ uint32_t *len)'),
  prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  getppid: lib.func('int getppid()'),
  sched_setaffinity: lib.func('int sched_setaffinity(int pid, uintptr_t size, const void *mask)'),
  fcntl: lib.func('int fcntl(int fd, int cmd, int arg)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, _Out_ int *arg)'),
  syscall: lib.func('long syscall(long number, ...)'),
};

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
errnoNames.set(11, 'EAGAIN');

export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}

/** The errno name of the calling thread's last failed libc call. */
export function lastErrno(): string {
  return errnoName(koffi.errno());
}

/** A failed socket call: `code` is the errno name (ECONNRESET, EADDRINUSE…). */
export class SocketError extends Error {
  constructor(
    readonly code: string,
    readonly call: string,
  ) {
    super(`${call}: ${code}`);
    this.name = 'SocketError';
  }
}

function check(result: number | bigint, call: string): number {
  const n = Number(result);
  if (n < 0) throw new SocketError(lastErrno(), call);
  return n;
}

export function socket(domain: number, type: number, protocol = 0): number {
  return check(c.socket(domain, type, protocol), 'socket');
}

export function setsockoptInt(fd: number, level: number, name: number, value: number, call = 'setsockopt'): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  check(c.setsockopt(fd, level, name, buf, 4), call);
}

export function setsockoptBytes(fd: number, level: number, name: number, value: Buffer, call = 'setsockopt'): void {
  check(c.setsockopt(fd, level, name, value, value.length), call);
}

export function getsockoptBytes(fd: number, level: number, name: number, size: number, call = 'getsockopt'): Buffer {
  const buf = Buffer.alloc(size);
  const len = [size];
  check(c.getsockopt(fd, level, name, buf, len), call);
  return buf.subarray(0, len[0]);
}

export function getsockoptInt(fd: number, level: number, name: number, call = 'getsockopt'): number {
  return getsockoptBytes(fd, level, name, 4, call).readInt32LE(0);
}

export function bind(fd: number, addr: Buffer): void {
  check(c.bind(fd, addr, addr.length), 'bind');
}

export function listen(fd: number, backlog: number): void {
  check(c.listen(fd, backlog), 'listen');
}

/** Non-blocking connect: true when connected at once, false when in progress. */
export function connectStart(fd: number, addr: Buffer): boolean {
  const r = Number(c.connect(fd, addr, addr.length));
  if (r === 0) return true;
  const code = lastErrno();
  if (code === 'EINPROGRESS') return false;
  throw new SocketError(code, 'connect');
}

/** Accept one pending connection; null when none is pending. */
export function acceptNow(fd: number): number | null {
  const r = Number(c.accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (r >= 0) return r;
  const code = lastErrno();
  if (code === 'EAGAIN') return null;
  throw new SocketError(code, 'accept');
}

/** Receive what is there: bytes, an empty buffer at EOF, null when nothing is pending. */
export function recvNow(fd: number, max: number, flags = 0): Buffer | null {
  const buf = Buffer.allocUnsafe(max);
  const r = Number(c.recv(fd, buf, max, flags | MSG_DONTWAIT));
  if (r >= 0) return buf.subarray(0, r);
  const code = lastErrno();
  if (code === 'EAGAIN') return null;
  throw new SocketError(code, 'read');
}

/** Send what fits now; returns the count sent (0 when the buffer is full). */
export function sendNow(fd: number, data: Buffer, flags = 0): number {
  const r = Number(c.send(fd, data, data.length, flags | MSG_DONTWAIT | MSG_NOSIGNAL));
  if (r >= 0) return r;
  const code = lastErrno();
  if (code === 'EAGAIN') return 0;
  throw new SocketError(code, 'write');
}

export function shutdown(fd: number, how: number): void {
  check(c.shutdown(fd, how), 'shutdown');
}

const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

/** A copy of descriptor `fd` of process `pid` in this process (pidfd_getfd; root may). */
export function descriptorOf(pid: number, fd: number): number {
  const pidfd = check(c.syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0), 'pidfd_open');
  try {
    return check(c.syscall(SYS_PIDFD_GETFD, 'int', pidfd, 'int', fd, 'uint', 0), 'pidfd_getfd');
  } finally {
    c.close(pidfd);
  }
}

export function closeSync(fd: number): void {
  check(c.close(fd), 'close');
}

/** close() on a libuv worker thread: with SO_LINGER > 0 it blocks until the FIN is acked. */
export function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    c.close.async(fd, (err: unknown, r: number) => {
      if (err) reject(err);
      else if (r < 0) reject(new SocketError('EIO', 'close'));
      else resolve();
    });
  });
}

/** Wait up to `timeoutMs` on a worker thread for `events`; resolves with revents (0 on timeout). */
export function pollAsync(fd: number, events: number, timeoutMs: number): Promise<number> {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(events, 4);
  return new Promise((resolve, reject) => {
    c.poll.async(pfd, 1, timeoutMs, (err: unknown, r: number) => {
      if (err) reject(err);
      else resolve(r > 0 ? pfd.readUInt16LE(6) : 0);
    });
  });
}

/** Readiness right now, without blocking. */
export function pollNow(fd: number, events: number): number {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(events, 4);
  const r = Number(c.poll(pfd, 1, 0));
  return r > 0 ? pfd.readUInt16LE(6) : 0;
}

export function fcntl(fd: number, cmd: number, arg: number): number {
  return check(c.fcntl(fd, cmd, arg), 'fcntl');
}

/** ioctl() whose argument is an int the kernel writes (SIOCINQ, SIOCOUTQ …). */
export function ioctlInt(fd: number, request: number): number {
  const out = [0];
  check(c.ioctl(fd, request, out), 'ioctl');
  return out[0];
}

export function setns(fd: number): void {
  check(c.setns(fd, CLONE_NEWNET), 'setns');
}

export function getsockname(fd: number): Buffer {
  const buf = Buffer.alloc(128);
  const len = [128];
  check(c.getsockname(fd, buf, len), 'getsockname');
  return buf.subarray(0, len[0]);
}

export function getpeername(fd: number): Buffer {
  const buf = Buffer.alloc(128);
  const len = [128];
  check(c.getpeername(fd, buf, len), 'getpeername');
  return buf.subarray(0, len[0]);
}

const PR_SET_PDEATHSIG = 1;

/**
 * Ask the kernel to send `signal` to this process when its parent, `parent`, dies.
 * False if `parent` is not the parent any more: it died before the prctl, so no
 * signal will ever come.
 */
export function dieWithParent(parent: number, signal = 15): boolean {
  check(c.prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0), 'prctl');
  return c.getppid() === parent;
}

/** cpu_set_t: 1024 CPUs */
const CPU_SET_BYTES = 128;

/**
 * Keep this process, every thread it has now and the threads they start later, on
 * `cpus` (sched_setaffinity for each thread in /proc/self/task).
 */
export function runOnlyOn(cpus: readonly number[]): void {
  const mask = Buffer.alloc(CPU_SET_BYTES);
  for (const cpu of cpus) {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= CPU_SET_BYTES * 8) throw new Error(`no such CPU: ${cpu}`);
    mask[cpu >> 3] |= 1 << (cpu & 7);
  }
  for (const tid of readdirSync('/proc/self/task')) check(c.sched_setaffinity(Number(tid), CPU_SET_BYTES, mask), 'sched_setaffinity');
}
