/**
 * States inside a guest, which has no tracepoint: sampled, and reported as changes.
 *
 * User-Mode Linux has sock_diag, so every TCP socket of the case's namespace is seen,
 * TIME_WAIT included (the sampler of rootless runs, observe/sampler.ts). gVisor has no
 * sock_diag and its /proc/net/tcp lacks TIME_WAIT: the only view is TCP_INFO on the
 * descriptors the case holds, so a socket is seen from socket()/accept() until its
 * close() — not while it waits in the accept queue, not after.
 */
import { StateSampler } from '../observe/sampler.js';
import { SamplePace, GUEST_PACE } from '../observe/sample-pace.js';
import { decodeSockaddr } from '../sockets/sockaddr.js';
import * as libc from '../sockets/libc.js';
import { stateFromNumber, type TcpState } from '../observe/states.js';
import type { Endpoint, StateEventWire } from './protocol.js';

export interface GuestStates {
  /** look now */
  sample(): void;
  /** something happened (a call, a request): look now, and at the fastest pace again */
  poke(): void;
  close(): void;
}

type Emit = (e: StateEventWire) => void;

const TCP_INFO = 11;

export function sockDiagStates(ns: string, mine: (addr: string) => boolean, emit: Emit): GuestStates {
  const sampler = new StateSampler(
    [ns],
    mine,
    (e) => emit({ t: String(e.t), from: e.from, to: e.to, saddr: e.saddr, sport: e.sport, daddr: e.daddr, dport: e.dport }),
    GUEST_PACE,
  );
  return { sample: () => void sampler.sample(), poke: () => sampler.poke(), close: () => sampler.close() };
}

interface Seen {
  state: TcpState;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

/**
 * TCP_INFO on each descriptor `fds()` names (gVisor), with the address each was asked
 * to connect to: getpeername() knows it only once connected, and a socket's tuple must
 * not change between two samples (SYN_SENT and ESTABLISHED are one socket).
 */
export function tcpInfoStates(fds: () => Iterable<[number, Endpoint | undefined]>, mine: (addr: string) => boolean, emit: Emit): GuestStates {
  const last = new Map<number, Seen>();
  let closed = false;
  const sample = (): boolean => {
    if (closed) return false;
    let changed = false;
    const t = String(process.hrtime.bigint());
    const live = new Set<number>();
    for (const [fd, peer] of fds()) {
      live.add(fd);
      // a socket reset or shut down may no longer tell its addresses: it keeps the ones it had
      const seen = look(fd, peer, last.get(fd));
      if (!seen || !mine(seen.saddr)) continue;
      const was = last.get(fd);
      // a descriptor number reused by a new socket is a new socket
      const same = was && was.sport === seen.sport && was.saddr === seen.saddr && (was.dport === seen.dport || was.dport === 0);
      const from = same ? was.state : 'CLOSED';
      if (from !== seen.state || !same) {
        if (from !== seen.state) {
          emit({ t, from, to: seen.state, saddr: seen.saddr, sport: seen.sport, daddr: seen.daddr, dport: seen.dport });
          changed = true;
        }
        last.set(fd, seen);
      } else if (was.dport === 0 && seen.dport !== 0) {
        last.set(fd, seen);
      }
    }
    // a closed descriptor is no longer seen: whatever the socket does next is not observable
    for (const fd of last.keys()) if (!live.has(fd)) last.delete(fd);
    return changed;
  };
  const pace = new SamplePace(sample, GUEST_PACE);
  return {
    sample: () => void sample(),
    poke: () => pace.poke(),
    close: () => {
      closed = true;
      pace.close();
    },
  };
}

function look(fd: number, peer: Endpoint | undefined, before: Seen | undefined): Seen | null {
  let state: TcpState;
  try {
    state = stateFromNumber(libc.getsockoptBytes(fd, libc.IPPROTO_TCP, TCP_INFO, 8).readUInt8(0));
  } catch {
    return null;
  }
  let local = { address: '', port: 0 };
  let remote = peer ?? { address: '', port: 0 };
  try {
    local = decodeSockaddr(libc.getsockname(fd));
  } catch {
    // reset, say
  }
  try {
    remote = decodeSockaddr(libc.getpeername(fd));
  } catch {
    // not connected (yet, or any more)
  }
  if (local.port === 0 && before) return { ...before, state };
  // a socket not yet bound has no tuple to report by
  if (local.port === 0) return null;
  if (remote.port === 0 && before && before.dport !== 0) remote = { address: before.daddr, port: before.dport };
  return { state, saddr: local.address, sport: local.port, daddr: remote.address, dport: remote.port };
}
