/**
 * Durations that kernel timers decide, measured from a trace, in whole milliseconds:
 *  - "<socket> TIME_WAIT": how long the socket stayed in TIME_WAIT, when the case saw it end;
 *  - "<socket> FIN_WAIT_2": an orphaned FIN_WAIT_2 that ended in CLOSED (tcp_fin_timeout);
 *  - "conn N a > b FLAGS seq=S retransmission K": time since the previous transmission, for
 *    retransmissions by the retransmission timer (RTO, SYN and FIN retries; see retransmissions.ts);
 *  - "<socket> call(args)": a call a kernel timer held up: close() with SO_LINGER, connect() through
 *    SYN retransmissions (both counted only from TIMER_MIN_MS), any call that ended in ETIMEDOUT.
 *    Reads and writes are left out: how long they take is the transfer's and the peer's pace.
 *
 * These timers count whole seconds (SO_LINGER, tcp_fin_timeout, TIME_WAIT) or start at one
 * (the SYN's first RTO), so a state or call that ended sooner was ended by something else — an
 * RST, a recycled 4-tuple, the peer's ACKs — which the states and segments already show, and
 * whose duration is the case's own pace.
 */
import type { CaseTrace } from '../trace/types.js';
import { withoutPsh } from './normalise-segments.js';
import { retransmissionGaps, TIMER_RETRANSMISSION_MS } from './retransmissions.js';
import type { EndpointNames } from './endpoint-names.js';

/** Shortest duration a state or call ended by one of these timers can have. */
export const TIMER_MIN_MS = 1000;

/** Calls whose duration a kernel timer decides when they block. */
const TIMER_BOUND_CALLS = new Set(['close', 'abort', 'connect']);

function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** Adds `value` under `name`, or under "name (2)", "name (3)"… when the name is taken. */
function put(timers: Record<string, number>, name: string, value: number): void {
  let key = name;
  for (let i = 2; key in timers; i++) key = `${name} (${i})`;
  timers[key] = value;
}

export function measureTimers(trace: CaseTrace, names: EndpointNames): Record<string, number> {
  const timers: Record<string, number> = {};

  for (const sock of trace.sockets) {
    sock.transitions.forEach((tr, i) => {
      const next = sock.transitions[i + 1];
      if (!next || ms(next.t - tr.t) < TIMER_MIN_MS) return;
      if (tr.to === 'TIME_WAIT') put(timers, `${sock.label} TIME_WAIT`, ms(next.t - tr.t));
      else if (tr.to === 'FIN_WAIT_2' && next.to === 'CLOSED') put(timers, `${sock.label} FIN_WAIT_2`, ms(next.t - tr.t));
    });
  }

  const count = new Map<string, number>();
  for (const [i, gap] of retransmissionGaps(trace)) {
    if (gap < TIMER_RETRANSMISSION_MS) continue;
    const s = trace.segments[i];
    const base = `conn ${s.conn} ${s.from} > ${s.to} ${withoutPsh(s.flags)} seq=${s.rseq}`;
    const k = (count.get(base) ?? 0) + 1;
    count.set(base, k);
    put(timers, `${base} retransmission ${k}`, gap);
  }

  for (const c of trace.calls) {
    const timerBound = c.result === 'ETIMEDOUT' || (TIMER_BOUND_CALLS.has(c.call) && c.ms >= TIMER_MIN_MS);
    if (timerBound) put(timers, `${c.socket} ${c.call}(${names.text(c.args ?? '')})`, Math.round(c.ms));
  }
  return Object.fromEntries(Object.entries(timers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
