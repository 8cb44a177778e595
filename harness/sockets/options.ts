/** Socket options by name, and the options a case may pass when it makes a socket. */
import { z } from 'zod';
import * as libc from './libc.js';
import { InputError } from '../input-error.js';
import type { Syscalls } from './syscalls.js';

export const SocketOptions = z
  .object({
    reuseAddr: z.boolean(),
    reusePort: z.boolean(),
    linger: z.union([z.literal(false), z.object({ seconds: z.number().int().min(0).max(3600) }).strict()]),
    noDelay: z.boolean(),
    maxSeg: z.number().int().min(1).max(65535),
    rcvBuf: z.number().int().positive(),
    sndBuf: z.number().int().positive(),
    keepAlive: z.boolean(),
    userTimeout: z.number().int().min(0),
    ttl: z.number().int().min(1).max(255),
    tos: z.number().int().min(0).max(255),
  })
  .partial()
  .strict();
export type SocketOptions = z.infer<typeof SocketOptions>;

const SO_REUSEADDR = 2;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_KEEPALIVE = 9;
const SO_LINGER = 13;
const SO_REUSEPORT = 15;
export const SO_ERROR = 4;
const TCP_NODELAY = 1;
const TCP_MAXSEG = 2;
export const TCP_INFO = 11;
const TCP_USER_TIMEOUT = 18;
const IP_TOS = 1;
const IP_TTL = 2;
const IPV6_UNICAST_HOPS = 16;
const IPV6_TCLASS = 67;

interface IntOption {
  level: number | ((family: number) => number);
  name: number | ((family: number) => number);
}

/** Integer options reachable through getsockopt/setsockopt by name. */
export const INT_OPTIONS: Record<string, IntOption> = {
  SO_REUSEADDR: { level: libc.SOL_SOCKET, name: SO_REUSEADDR },
  SO_REUSEPORT: { level: libc.SOL_SOCKET, name: SO_REUSEPORT },
  SO_SNDBUF: { level: libc.SOL_SOCKET, name: SO_SNDBUF },
  SO_RCVBUF: { level: libc.SOL_SOCKET, name: SO_RCVBUF },
  SO_KEEPALIVE: { level: libc.SOL_SOCKET, name: SO_KEEPALIVE },
  SO_ERROR: { level: libc.SOL_SOCKET, name: SO_ERROR },
  TCP_NODELAY: { level: libc.IPPROTO_TCP, name: TCP_NODELAY },
  TCP_MAXSEG: { level: libc.IPPROTO_TCP, name: TCP_MAXSEG },
  TCP_USER_TIMEOUT: { level: libc.IPPROTO_TCP, name: TCP_USER_TIMEOUT },
  IP_TTL: { level: (f) => ipLevel(f), name: (f) => (f === libc.AF_INET6 ? IPV6_UNICAST_HOPS : IP_TTL) },
  IP_TOS: { level: (f) => ipLevel(f), name: (f) => (f === libc.AF_INET6 ? IPV6_TCLASS : IP_TOS) },
};

function ipLevel(family: number): number {
  return family === libc.AF_INET6 ? libc.IPPROTO_IPV6 : libc.IPPROTO_IP;
}

function resolve(option: string, family: number): [number, number] {
  const o = INT_OPTIONS[option];
  if (!o) throw new InputError(`unknown socket option ${option} (known: ${Object.keys(INT_OPTIONS).join(', ')}, SO_LINGER)`);
  return [typeof o.level === 'function' ? o.level(family) : o.level, typeof o.name === 'function' ? o.name(family) : o.name];
}

export async function setIntOption(sys: Syscalls, fd: number, family: number, option: string, value: number): Promise<void> {
  const [level, name] = resolve(option, family);
  await sys.setsockopt(fd, level, name, intBytes(value), `setsockopt(${option})`);
}

export async function getIntOption(sys: Syscalls, fd: number, family: number, option: string): Promise<number> {
  const [level, name] = resolve(option, family);
  return (await sys.getsockopt(fd, level, name, 4, `getsockopt(${option})`)).readInt32LE(0);
}

export function intBytes(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  return buf;
}

export async function setLinger(sys: Syscalls, fd: number, linger: { seconds: number } | false): Promise<void> {
  const buf = Buffer.alloc(8);
  buf.writeInt32LE(linger === false ? 0 : 1, 0);
  buf.writeInt32LE(linger === false ? 0 : linger.seconds, 4);
  await sys.setsockopt(fd, libc.SOL_SOCKET, SO_LINGER, buf, 'setsockopt(SO_LINGER)');
}

export async function getLinger(sys: Syscalls, fd: number): Promise<{ seconds: number } | false> {
  const buf = await sys.getsockopt(fd, libc.SOL_SOCKET, SO_LINGER, 8, 'getsockopt(SO_LINGER)');
  return buf.readInt32LE(0) ? { seconds: buf.readInt32LE(4) } : false;
}

/** Apply a case's options; the order matters only in that all of them precede bind. */
export async function applyOptions(sys: Syscalls, fd: number, family: number, o: SocketOptions): Promise<void> {
  const bool = (v: boolean) => (v ? 1 : 0);
  const set = (option: string, v: number) => setIntOption(sys, fd, family, option, v);
  if (o.reuseAddr !== undefined) await set('SO_REUSEADDR', bool(o.reuseAddr));
  if (o.reusePort !== undefined) await set('SO_REUSEPORT', bool(o.reusePort));
  if (o.linger !== undefined) await setLinger(sys, fd, o.linger);
  if (o.noDelay !== undefined) await set('TCP_NODELAY', bool(o.noDelay));
  if (o.maxSeg !== undefined) await set('TCP_MAXSEG', o.maxSeg);
  if (o.rcvBuf !== undefined) await set('SO_RCVBUF', o.rcvBuf);
  if (o.sndBuf !== undefined) await set('SO_SNDBUF', o.sndBuf);
  if (o.keepAlive !== undefined) await set('SO_KEEPALIVE', bool(o.keepAlive));
  if (o.userTimeout !== undefined) await set('TCP_USER_TIMEOUT', o.userTimeout);
  if (o.ttl !== undefined) await set('IP_TTL', o.ttl);
  if (o.tos !== undefined) await set('IP_TOS', o.tos);
}
