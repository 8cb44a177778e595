/**
 * States without tracefs (rootless runs, UML guests): every host's TCP sockets read
 * through sock_diag at a pace (sample-pace.ts: every millisecond on this machine), a
 * state event for each change seen between two samples. A state shorter than the gap
 * between samples is never seen: the event then jumps over it (ESTABLISHED straight
 * after CLOSED). Events carry source 'sampled'.
 */
import * as libc from '../sockets/libc.js';
import { openDiag, dumpDiag } from './sockdiag.js';
import type { KernelEvent, Tuple } from './events.js';
import type { TcpState } from './states.js';
import { SamplePace, EVERY_MS, type PaceOptions } from './sample-pace.js';

type StateEvent = Extract<KernelEvent, { kind: 'state' }>;

interface Seen extends Tuple {
  state: TcpState;
}

export class StateSampler {
  private readonly fds = new Map<string, number>();
  private readonly last = new Map<string, Seen>();
  private pace: SamplePace | null = null;
  private readonly gaps: number[] = [];
  private previous: bigint | null = null;
  private closed = false;

  constructor(
    namespaces: string[],
    private readonly mine: (addr: string) => boolean,
    private readonly emit: (e: StateEvent) => void,
    pace: PaceOptions = EVERY_MS,
  ) {
    try {
      for (const ns of namespaces) this.fds.set(ns, openDiag(ns));
    } catch (e) {
      this.close();
      throw e;
    }
    this.sample();
    this.pace = new SamplePace(() => this.sample(), pace);
  }

  /** Something happened (a call was made): sample now, and at the fastest pace again. */
  poke(): void {
    this.pace?.poke();
  }

  /** Read every host's sockets now and emit what changed since the last look; whether anything did. */
  sample(): boolean {
    if (this.closed) return false;
    const now = new Map<string, Seen>();
    for (const fd of this.fds.values()) {
      for (const s of dumpDiag(fd)) {
        if (!this.mine(s.saddr)) continue;
        // the cookie, not the tuple: a new connection may reuse the tuple of one in TIME_WAIT
        now.set(`${s.cookie}`, { saddr: s.saddr, sport: s.sport, daddr: s.daddr, dport: s.dport, state: s.state });
      }
    }
    const t = process.hrtime.bigint();
    if (this.previous !== null) this.gaps.push(Number(t - this.previous) / 1e6);
    this.previous = t;
    // gone before new: the end of a TIME_WAIT comes before the connection that reuses its tuple
    let changed = false;
    for (const [cookie, was] of this.last) {
      if (now.has(cookie)) continue;
      this.emit(event(t, was, was.state, 'CLOSED'));
      changed = true;
    }
    for (const [cookie, is] of now) {
      const was = this.last.get(cookie);
      const from = was?.state ?? 'CLOSED';
      if (from === is.state) continue;
      this.emit(event(t, is, from, is.state));
      changed = true;
    }
    this.last.clear();
    for (const [k, v] of now) this.last.set(k, v);
    return changed;
  }

  /** When the last sample was taken (monotonic ns). */
  get lastSample(): bigint {
    return this.previous ?? process.hrtime.bigint();
  }

  /** Gaps between samples so far, in ms: what a state had to outlast to be seen. */
  intervals(): { median: number; max: number; samples: number } {
    const sorted = [...this.gaps].sort((a, b) => a - b);
    return { median: sorted[sorted.length >> 1] ?? 0, max: sorted[sorted.length - 1] ?? 0, samples: sorted.length + 1 };
  }

  /**
   * The host's namespace is going away (crash()): let go of it, or the open netlink
   * socket would keep the namespace, and the TCP state in it, alive.
   */
  forget(ns: string): void {
    const fd = this.fds.get(ns);
    if (fd === undefined) return;
    this.fds.delete(ns);
    libc.closeSync(fd);
  }

  /** The host's namespace was made again (reboot()). */
  watch(ns: string): void {
    this.forget(ns);
    this.fds.set(ns, openDiag(ns));
  }

  close(): void {
    this.closed = true;
    this.pace?.close();
    this.pace = null;
    for (const ns of [...this.fds.keys()]) this.forget(ns);
  }
}

function event(t: bigint, tuple: Tuple, from: TcpState, to: TcpState): StateEvent {
  return { kind: 'state', t, from, to, saddr: tuple.saddr, sport: tuple.sport, daddr: tuple.daddr, dport: tuple.dport, source: 'sampled' };
}
