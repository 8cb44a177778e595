/**
 * The calls a script makes that the hosts' Syscalls cannot express, made on a
 * namespace host's live descriptor from this process (which holds it): sendmsg()
 * with the script's iovec array, and read/write/send/recv with a NULL buffer, so
 * that the kernel itself answers (EFAULT, or 0 for a count of 0) as under packetdrill.
 * Descriptors are non-blocking: EAGAIN comes back as null, the caller waits.
 */
import { createRequire } from 'node:module';
import { lastErrno, SocketError } from '../sockets/libc.js';
import { pinned, writePtr } from '../sockets/pinned.js';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

const c = {
  sendmsg: lib.func('long sendmsg(int fd, uintptr_t msg, int flags)'),
  send: lib.func('long send(int fd, uintptr_t buf, unsigned long len, int flags)'),
  recv: lib.func('long recv(int fd, uintptr_t buf, unsigned long len, int flags)'),
};

const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
// struct msghdr and struct iovec of 64-bit Linux
const MSGHDR = 56;
const IOVEC = 16;

if (process.arch !== 'x64' && process.arch !== 'arm64') throw new Error(`packetdrill's sendmsg() and NULL buffers know the struct layouts of 64-bit Linux only, not ${process.arch}`);

/** The result of a call, null for EAGAIN, else a SocketError with its errno. */
function outcome(r: number, call: string): number | null {
  if (r >= 0) return r;
  const code = lastErrno();
  if (code === 'EAGAIN') return null;
  throw new SocketError(code, call);
}

/**
 * sendmsg(fd, {msg_name, msg_iov=[{zeros, len}…], msg_flags}, flags), as packetdrill
 * builds it: each iovec has a zeroed buffer of its length; `name` is the sockaddr
 * msg_name points at (none: NULL).
 */
export function sendmsgNow(fd: number, iovLens: readonly number[], flags: number, name: Buffer | null, msgFlags = 0): number | null {
  // the buffers live until the call returns: kept in this array
  const bufs = iovLens.map((len) => pinned(len));
  const iov = pinned(IOVEC * iovLens.length);
  iovLens.forEach((len, i) => {
    writePtr(iov.buf, i * IOVEC, bufs[i].addr);
    iov.buf.writeBigUInt64LE(BigInt(len), i * IOVEC + 8);
  });
  const msg = pinned(MSGHDR);
  const nameBuf = name ? pinned(name.length) : null;
  if (name && nameBuf) {
    name.copy(nameBuf.buf);
    writePtr(msg.buf, 0, nameBuf.addr);
    msg.buf.writeUInt32LE(name.length, 8);
  }
  writePtr(msg.buf, 16, iovLens.length ? iov.addr : 0);
  msg.buf.writeBigUInt64LE(BigInt(iovLens.length), 24);
  msg.buf.writeInt32LE(msgFlags, 48);
  const r = Number(c.sendmsg(fd, msg.addr, flags | MSG_DONTWAIT | MSG_NOSIGNAL));
  void [bufs, iov, msg, nameBuf];
  return outcome(r, 'sendmsg');
}

/** send(fd, NULL, count, flags): the kernel's answer to a NULL buffer (write() is send() with no flags). */
export function sendNull(fd: number, count: number, flags: number): number | null {
  return outcome(Number(c.send(fd, 0, count, flags | MSG_DONTWAIT | MSG_NOSIGNAL)), 'write');
}

/** recv(fd, NULL, count, flags): the kernel's answer to a NULL buffer (read() is recv() with no flags). */
export function recvNull(fd: number, count: number, flags: number): number | null {
  return outcome(Number(c.recv(fd, 0, count, flags | MSG_DONTWAIT)), 'read');
}
