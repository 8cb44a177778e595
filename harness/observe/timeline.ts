/**
 * One timeline per kernel socket, merged from the state tracepoint and sock_diag.
 *
 * Linux reports every transition through `inet_sock_set_state` except two: the active
 * closer's socket is swapped for a timewait minisock, which the tracepoint shows as
 * FIN_WAIT2 → CLOSE (or CLOSING → CLOSE), and that minisock's end. sock_diag fills
 * those in: TIME_WAIT (or an orphaned FIN_WAIT_2) at the moment of the swap, CLOSED
 * when it is gone.
 */
import type { KernelEvent, Tuple } from './events.js';
import type { TcpState } from './states.js';

/** tracepoint: inet_sock_set_state; sock_diag: the minisock watch; sampled: sock_diag sampling (rootless) */
export type StateSource = 'tracepoint' | 'sock_diag' | 'sampled' | 'api';

export interface Transition {
  /** monotonic ns */
  t: bigint;
  from: TcpState;
  to: TcpState;
  source: StateSource;
}

export interface History {
  key: string;
  tuple: Tuple;
  transitions: Transition[];
}

export interface DiagObservation {
  t: bigint;
  key: string;
  /** minisock state seen, or 'gone' when it was no longer there */
  state: TcpState | 'gone';
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

export function tupleKey(t: Tuple): string {
  const remote = t.dport === 0 && WILDCARD.has(t.daddr) ? '*' : `${t.daddr}:${t.dport}`;
  return `${t.saddr}:${t.sport}>${remote}`;
}

type StateEvent = Extract<KernelEvent, { kind: 'state' }>;

/** Split state events into per-socket histories. */
export function buildHistories(events: KernelEvent[], diag: DiagObservation[] = []): History[] {
  const histories: History[] = [];
  const open = new Map<string, History>();
  // connect() reports SYN_SENT before it picks the source port: hold such events
  // until the same socket shows up with its port.
  const portless: StateEvent[] = [];

  for (const e of events) {
    // tcp_set_state() traces every call, also one that keeps the state (a close() after
    // shutdown() in CLOSE_WAIT sets LAST_ACK twice): not a transition
    if (e.kind !== 'state' || e.from === e.to) continue;
    if (e.sport === 0 && e.to === 'SYN_SENT') {
      portless.push(e);
      continue;
    }
    const key = tupleKey(e);
    let h = open.get(key);
    const startsNew = e.from === 'CLOSED' || (e.from === 'LISTEN' && e.to === 'SYN_RECV' && e.dport !== 0);
    if (!h || startsNew) {
      h = { key, tuple: { saddr: e.saddr, sport: e.sport, daddr: e.daddr, dport: e.dport }, transitions: [] };
      if (!startsNew) {
        const i = portless.findIndex((p) => p.saddr === e.saddr && p.daddr === e.daddr && p.dport === e.dport);
        if (i >= 0) {
          const p = portless.splice(i, 1)[0];
          h.transitions.push({ t: p.t, from: p.from, to: p.to, source: p.source ?? 'tracepoint' });
        }
      }
      histories.push(h);
      open.set(key, h);
    }
    h.transitions.push({ t: e.t, from: e.from, to: e.to, source: e.source ?? 'tracepoint' });
  }
  for (const h of histories) mergeDiag(h, diag);
  return histories;
}

function mergeDiag(h: History, diag: DiagObservation[]): void {
  const last = h.transitions[h.transitions.length - 1];
  if (!last || last.to !== 'CLOSED' || (last.from !== 'FIN_WAIT_2' && last.from !== 'CLOSING')) return;
  const seen = diag.filter((d) => d.key === h.key && d.t >= last.t);
  if (!seen.some((d) => d.state !== 'gone')) return;
  // the minisock took over: replace the tracepoint's CLOSE with what sock_diag saw,
  // a state change each time the minisock's state changed (FIN_WAIT_2 → TIME_WAIT)
  h.transitions.pop();
  let state: TcpState = last.from;
  let first = true;
  for (const d of seen) {
    const to: TcpState = d.state === 'gone' ? 'CLOSED' : d.state;
    if (to !== state) {
      h.transitions.push({ t: first ? last.t : d.t, from: state, to, source: 'sock_diag' });
      state = to;
    }
    first = false;
    if (to === 'CLOSED') break;
  }
}

/** Does this transition leave a socket in a state sock_diag must confirm? */
export function needsDiag(e: KernelEvent): e is StateEvent {
  return e.kind === 'state' && e.to === 'CLOSED' && (e.from === 'FIN_WAIT_2' || e.from === 'CLOSING');
}

/**
 * The history of the socket with this tuple that existed at time `at`: the last one begun
 * by then, unless that one had already ended (an earlier socket of the same tuple), in
 * which case the first one begun after — a sampled history begins when a sample first
 * sees the socket, which may be after `at`.
 */
export function historyAt(histories: History[], key: string, at: bigint): History | undefined {
  let before: History | undefined;
  let after: History | undefined;
  for (const h of histories) {
    if (h.key !== key || !h.transitions[0]) continue;
    if (h.transitions[0].t <= at) before = h;
    else after ??= h;
  }
  const last = before?.transitions[before.transitions.length - 1];
  const ended = last !== undefined && last.to === 'CLOSED' && last.t <= at;
  return ended ? (after ?? before) : (before ?? after);
}
