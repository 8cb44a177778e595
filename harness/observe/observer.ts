/** Per case: the kernel events of this case's subnet, and the sock_diag watch. */
import { TraceSession, closeAllTraceSessions } from './tracefs.js';
import { StateSampler } from './sampler.js';
import { diagSockets } from './sockdiag.js';
import { buildHistories, needsDiag, tupleKey, historyAt, type DiagObservation, type History } from './timeline.js';
import type { KernelEvent, Tuple } from './events.js';

export interface ObservedHost {
  ns: string;
  addresses: string[];
}

/** A host that reports its own states (a guest's sampler): events on this process's clock. */
export interface ReportingHost {
  settle(): Promise<void>;
  poke(): void;
  on(fn: (events: Omit<Extract<KernelEvent, { kind: 'state' }>, 'kind' | 'source'>[]) => void): () => void;
}

const DIAG_POLL_MS = 25;

/** How a run sees state changes: the state tracepoint (root), or sock_diag sampling (rootless: no tracefs). */
export type ObserverKind = 'tracepoint' | 'sampled';

export function observerKind(): ObserverKind {
  return process.env.TCPLADDER_ROOTLESS === '1' ? 'sampled' : 'tracepoint';
}

let shared: Promise<TraceSession> | null = null;

export function traceSession(): Promise<TraceSession> {
  if (!shared) {
    shared = TraceSession.open();
    shared.catch(() => (shared = null));
  }
  return shared;
}

/** Synchronous, for exit handlers: also a session still opening (its instance exists from the start). */
export function closeTraceSession(): void {
  closeAllTraceSessions();
  shared = null;
}

export class CaseObserver {
  readonly events: KernelEvent[] = [];
  readonly diag: DiagObservation[] = [];
  private readonly watched = new Map<string, { ns: string; tuple: Tuple; state: string }>();
  private unsubscribe: () => void = () => {};
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private sampler: StateSampler | null = null;
  private readonly reporting: ReportingHost[] = [];
  private readonly unsubscribeHosts: (() => void)[] = [];
  /** when a reporting host was last asked for its states */
  private lastReport: bigint | null = null;
  /** why a guest did not answer when last asked for its states (settle) */
  private readonly unanswered = new Map<ReportingHost, string>();

  private constructor(
    private readonly trace: TraceSession | null,
    private readonly prefixes: string[],
    private readonly hosts: ObservedHost[],
  ) {}

  /**
   * `prefixes`: textual prefixes of this case's subnets, e.g. "198.18.5." and "fd74:6370:6c00:5::";
   * `hosts`: the namespace hosts this machine's kernel runs (tracepoint, sock_diag);
   * `reporting`: hosts that sample their own states (guests).
   */
  static async start(prefixes: string[], hosts: ObservedHost[], reporting: ReportingHost[] = []): Promise<CaseObserver> {
    const o = await CaseObserver.forKernel(prefixes, hosts);
    for (const r of reporting) o.report(r);
    return o;
  }

  private report(r: ReportingHost): void {
    this.reporting.push(r);
    this.unsubscribeHosts.push(
      r.on((events) => {
        if (this.closed) return;
        for (const e of events) this.events.push({ kind: 'state', ...e, source: 'sampled' });
      }),
    );
  }

  private static async forKernel(prefixes: string[], hosts: ObservedHost[]): Promise<CaseObserver> {
    if (hosts.length === 0) return new CaseObserver(null, prefixes, hosts);
    if (observerKind() === 'sampled') {
      const o = new CaseObserver(null, prefixes, hosts);
      o.sampler = new StateSampler(hosts.map((h) => h.ns), (a) => o.mine(a), (e) => o.events.push(e));
      return o;
    }
    const trace = await traceSession();
    const o = new CaseObserver(trace, prefixes, hosts);
    o.unsubscribe = trace.subscribe((e) => o.onEvent(e));
    return o;
  }

  private mine(addr: string): boolean {
    return this.prefixes.some((p) => addr.startsWith(p));
  }

  private onEvent(e: KernelEvent): void {
    if (this.closed || e.kind === 'marker') return;
    if (!this.mine(e.saddr) && !this.mine(e.daddr)) return;
    this.events.push(e);
    if (needsDiag(e)) {
      const host = this.hosts.find((h) => h.addresses.includes(e.saddr));
      if (!host) return;
      const tuple = { saddr: e.saddr, sport: e.sport, daddr: e.daddr, dport: e.dport };
      const key = tupleKey(tuple);
      const found = this.lookup(host.ns, tuple);
      this.diag.push({ t: e.t, key, state: found ?? 'gone' });
      if (found) {
        this.watched.set(key, { ns: host.ns, tuple, state: found });
        this.timer ??= setInterval(() => this.poll(), DIAG_POLL_MS).unref();
      }
    }
  }

  private lookup(ns: string, t: Tuple) {
    try {
      return diagSockets(ns, ['TIME_WAIT', 'FIN_WAIT_2']).find(
        (s) => s.saddr === t.saddr && s.sport === t.sport && s.daddr === t.daddr && s.dport === t.dport,
      )?.state;
    } catch {
      return undefined;
    }
  }

  /** Look again at every minisock being watched; record state changes and the ones that are gone. */
  poll(): void {
    if (this.closed) return;
    const t = process.hrtime.bigint();
    for (const [key, w] of this.watched) {
      const now = this.lookup(w.ns, w.tuple);
      if (!now) {
        this.diag.push({ t, key, state: 'gone' });
        this.watched.delete(key);
      } else if (now !== w.state) {
        this.diag.push({ t, key, state: now });
        w.state = now;
      }
    }
  }

  /** How this machine's kernel's hosts are seen (guests sample their own states in any case). */
  get kind(): ObserverKind {
    return this.sampler || !this.trace ? 'sampled' : 'tracepoint';
  }

  /** Sampling only: the gaps between samples (ms), what a state had to outlast to be seen. */
  sampling(): { median: number; max: number; samples: number } | null {
    return this.sampler?.intervals() ?? null;
  }

  /** Sampling only: when the last sample was taken (on this machine, or of the guests). */
  lastSample(): bigint | null {
    return this.sampler?.lastSample ?? this.lastReport;
  }

  /**
   * A socket call was made: samplers look now (its effect is then seen at once) and
   * keep looking often, here and in the guests, whose states it may change too.
   */
  sampleNow(): void {
    this.sampler?.poke();
    for (const r of this.reporting) r.poke();
  }

  /** A host's namespace is about to be deleted (crash). */
  hostGone(ns: string): void {
    this.sampler?.forget(ns);
  }

  /** A host's namespace was made again (reboot). */
  hostBack(ns: string): void {
    this.sampler?.watch(ns);
  }

  /** Wait until every event up to now has been read. */
  async settle(): Promise<void> {
    const guests = this.reporting.length ? this.settleReporting() : null;
    if (this.sampler) this.sampler.sample();
    else if (this.trace) {
      await this.trace.barrier();
      this.poll();
    }
    await guests;
  }

  private async settleReporting(): Promise<void> {
    const t = process.hrtime.bigint();
    await Promise.all(
      this.reporting.map((r) =>
        r.settle().then(
          () => void this.unanswered.delete(r),
          (e: Error) => void this.unanswered.set(r, e.message),
        ),
      ),
    );
    this.lastReport = t;
  }

  /** Guests that did not answer when last asked for their states: what they saw since is not in yet. */
  unansweredHosts(): string[] {
    return [...this.unanswered.values()];
  }

  histories(): History[] {
    return buildHistories(this.events, this.diag);
  }

  historyOf(tuple: Tuple, at: bigint): History | undefined {
    return historyAt(this.histories(), tupleKey(tuple), at);
  }

  close(): void {
    this.closed = true;
    this.sampler?.close();
    this.unsubscribe();
    for (const u of this.unsubscribeHosts) u();
    if (this.timer) clearInterval(this.timer);
  }
}
