/**
 * sock_diag (the netlink interface behind `ss`): the one place TIME_WAIT and orphaned
 * FIN_WAIT_2 sockets can be seen, since the state tracepoint never reports them.
 */
import { inNamespace } from '../topology/netns.js';
import * as libc from '../sockets/libc.js';
import { ipv6Bytes, formatIpv6 } from '../sockets/sockaddr.js';
import { stateFromNumber, type TcpState } from './states.js';
import type { Tuple } from './events.js';

const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;

export interface DiagSocket extends Tuple {
  state: TcpState;
  /** ms until the socket's timer fires (TIME_WAIT: until it goes away) */
  expiresMs: number;
  /** the kernel's socket cookie: tells apart two sockets of one tuple, one after the other */
  cookie: bigint;
}

function request(family: number, states: number): Buffer {
  const buf = Buffer.alloc(16 + 56);
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  buf.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  buf.writeUInt32LE(1, 8);
  buf.writeUInt8(family, 16);
  buf.writeUInt8(libc.IPPROTO_TCP, 17);
  buf.writeUInt32LE(states >>> 0, 20);
  return buf;
}

function address(family: number, bytes: Buffer): string {
  return family === libc.AF_INET6 ? formatIpv6(bytes) : [...bytes.subarray(0, 4)].join('.');
}

function parse(msg: Buffer, out: DiagSocket[]): boolean {
  let off = 0;
  while (off + 16 <= msg.length) {
    const len = msg.readUInt32LE(off);
    const type = msg.readUInt16LE(off + 4);
    if (len < 16) return true;
    if (type === NLMSG_DONE) return true;
    if (type === NLMSG_ERROR) throw new Error(`sock_diag error ${-msg.readInt32LE(off + 16)}`);
    const p = off + 16;
    const family = msg.readUInt8(p);
    out.push({
      state: stateFromNumber(msg.readUInt8(p + 1)),
      sport: msg.readUInt16BE(p + 4),
      dport: msg.readUInt16BE(p + 6),
      saddr: address(family, msg.subarray(p + 8, p + 24)),
      daddr: address(family, msg.subarray(p + 24, p + 40)),
      expiresMs: msg.readUInt32LE(p + 52),
      cookie: msg.readBigUInt64LE(p + 44),
    });
    off += (len + 3) & ~3;
  }
  return false;
}

/** A sock_diag netlink socket opened inside namespace `ns` (it keeps answering for that namespace). */
export function openDiag(ns: string): number {
  return inNamespace(ns, () => libc.socket(libc.AF_NETLINK, libc.SOCK_DGRAM | libc.SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
}

/** TCP sockets of both families seen through `fd` (from openDiag) whose state is in `states` (all by default). */
export function dumpDiag(fd: number, states: TcpState[] | null = null): DiagSocket[] {
  const mask = states ? stateMask(states) : 0xffffffff;
  const out: DiagSocket[] = [];
  for (const family of [libc.AF_INET, libc.AF_INET6]) {
    if (libc.sendNow(fd, request(family, mask)) <= 0) throw new Error('sock_diag request not sent');
    for (let done = false; !done; ) {
      const r = libc.recvNow(fd, 65536);
      if (r === null) {
        libc.pollNow(fd, libc.POLLIN);
        continue;
      }
      done = parse(r, out) || r.length === 0;
    }
  }
  return out;
}

/** TCP sockets of both families in namespace `ns` whose state is in `states` (all by default). */
export function diagSockets(ns: string, states: TcpState[] | null = null): DiagSocket[] {
  const fd = openDiag(ns);
  try {
    return dumpDiag(fd, states);
  } finally {
    libc.closeSync(fd);
  }
}

const NUMBER: Record<TcpState, number[]> = {
  ESTABLISHED: [1], SYN_SENT: [2], SYN_RECV: [3, 12], FIN_WAIT_1: [4], FIN_WAIT_2: [5], TIME_WAIT: [6],
  CLOSED: [7], CLOSE_WAIT: [8], LAST_ACK: [9], LISTEN: [10], CLOSING: [11],
};

function stateMask(states: TcpState[]): number {
  let m = 0;
  for (const s of states) for (const n of NUMBER[s]) m |= 1 << n;
  return m >>> 0;
}

export { ipv6Bytes };
