/**
 * Retransmissions and how long after the previous transmission each came.
 *
 * Quick ones are tail-loss probes, fast and early retransmits: they come a few
 * round trips after the original — on these links well under 50 ms — and so
 * race the application's own calls: whether and where they happen changes from
 * run to run. Slow ones are the retransmission timer's (RTO, SYN and FIN
 * retries), at least Linux's minimum RTO of 200 ms later: behaviour worth
 * comparing. The capture stamps a frame when the relay sees it, which can be
 * tens of milliseconds late (a FIN retransmitted by the timer measured 184 ms),
 * so the line between the two is drawn at 120 ms.
 */
import type { TraceSegment } from '../trace/types.js';

/** Retransmissions at least this long after the previous transmission are the retransmission timer's. */
export const TIMER_RETRANSMISSION_MS = 120;

function controlFlags(flags: string): string {
  return flags
    .split(/\s+/)
    .filter((f) => f === 'SYN' || f === 'FIN' || f === 'RST')
    .join(' ');
}

/** Index of each retransmitted segment (not a copy the wire made) → ms since the previous transmission of the same sequence. */
export function retransmissionGaps(segments: readonly TraceSegment[]): Map<number, number> {
  const last = new Map<string, number>();
  const gaps = new Map<number, number>();
  segments.forEach((s, i) => {
    const marks = s.marks ?? [];
    const key = `${s.conn}\u0000${s.from}\u0000${s.rseq}\u0000${controlFlags(s.flags)}`;
    const previous = last.get(key);
    if (marks.includes('retransmission') && !marks.includes('duplicated') && !marks.includes('injected') && previous !== undefined) {
      gaps.set(i, Math.round((s.t - previous) * 1000));
    }
    last.set(key, s.t);
  });
  return gaps;
}
