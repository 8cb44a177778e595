/**
 * Retransmissions and how long after the previous transmission each came.
 *
 * Quick ones are tail-loss probes, fast and early retransmits: they come a few
 * round trips after the original — on these links well under 50 ms — and so
 * race the application's own calls: whether and where they happen changes from
 * run to run. Slow ones are the retransmission timer's (RTO, SYN and FIN
 * retries), at least Linux's minimum RTO of 200 ms later: behaviour worth
 * comparing. The line between the two is drawn at 120 ms.
 *
 * Times come from the kernel where they can: the capture stamps a frame when the
 * relay sees it, and a busy relay stamps a burst of frames hundreds of
 * milliseconds late (seen: a probe sent 24 ms after its original, stamped 341 ms
 * after it). The kernel's tcp_retransmit_skb events carry the real time; the
 * k-th event of a 4-tuple is the k-th retransmitted segment of that 4-tuple when
 * both counts agree (SYN-ACK retransmissions, for one, have no such event: then
 * the capture's times are used).
 */
import type { CaseTrace, TraceSegment } from '../trace/types.js';

/** Retransmissions at least this long after the previous transmission are the retransmission timer's. */
export const TIMER_RETRANSMISSION_MS = 120;

/** What makes two transmissions of one sequence number the same segment: SYN, FIN, RST, ACK (a SYN-ACK does not resend a SYN). */
function kindFlags(flags: string): string {
  return flags
    .split(/\s+/)
    .filter((f) => f === 'SYN' || f === 'FIN' || f === 'RST' || f === 'ACK')
    .join(' ');
}

/** As the observer writes a kernel event's 4-tuple: "198.18.0.1:40000>198.18.0.2:8080", "fd74::1:40000>fd74::2:8080". */
function tuple(s: TraceSegment): string {
  return `${s.src}:${s.sport}>${s.dst}:${s.dport}`;
}

function isRetransmission(s: TraceSegment): boolean {
  const marks = s.marks ?? [];
  return marks.includes('retransmission') && !marks.includes('duplicated') && !marks.includes('injected');
}

/** Kernel times of retransmissions per 4-tuple, kept only where they pair one to one with the retransmitted segments. */
function kernelTimes(trace: Pick<CaseTrace, 'segments' | 'kernelEvents'>): Map<string, number[]> {
  const events = new Map<string, number[]>();
  for (const e of trace.kernelEvents ?? []) {
    if (e.kind === 'retransmit') events.set(e.tuple, [...(events.get(e.tuple) ?? []), e.t]);
  }
  const segments = new Map<string, number>();
  for (const s of trace.segments) if (isRetransmission(s)) segments.set(tuple(s), (segments.get(tuple(s)) ?? 0) + 1);
  for (const [key, times] of events) if (times.length !== segments.get(key)) events.delete(key);
  return events;
}

/** Index of each retransmitted segment (not a copy the wire made) → ms since the previous transmission of the same sequence. */
export function retransmissionGaps(trace: Pick<CaseTrace, 'segments' | 'kernelEvents'>): Map<number, number> {
  const kernel = kernelTimes(trace);
  const last = new Map<string, number>();
  const gaps = new Map<number, number>();
  trace.segments.forEach((s, i) => {
    const key = `${s.conn}\u0000${s.from}\u0000${s.rseq}\u0000${kindFlags(s.flags)}`;
    let t = s.t;
    if (isRetransmission(s)) {
      const queue = kernel.get(tuple(s));
      if (queue?.length) t = queue.shift()!;
      const previous = last.get(key);
      if (previous !== undefined) gaps.set(i, Math.max(0, Math.round((t - previous) * 1000)));
    }
    last.set(key, t);
  });
  return gaps;
}
