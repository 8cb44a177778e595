/**
 * packetdrill's timing model: an event is on time when it happens within the
 * tolerance of its script time; the tolerance is the larger of --tolerance_usecs and
 * --tolerance_percent of the time since the previous event. tcpladder multiplies both
 * by a run-wide factor (TCPLADDER_TOLERANCE_FACTOR, for slow machines) and never goes
 * below a floor per stack (a guest's clock ticks coarsely: User-Mode Linux at 100 Hz).
 */
import { InputError } from '../input-error.js';
import type { PacketdrillOptions } from './flags.js';

export const TOLERANCE_FACTOR_ENV = 'TCPLADDER_TOLERANCE_FACTOR';

/** µs below which no tolerance goes, per stack of the host under test */
// Not higher for gVisor, though it answers late on a busy machine: a floor widens a
// script's ranges too, and 25 ms hid gVisor's immediate ACK where Linux delays it 40 ms.
const STACK_FLOOR_USECS: Readonly<Record<string, number>> = { linux: 0, uml: 10_000, gvisor: 10_000 };

export interface Tolerance {
  usecs: number;
  percent: number;
}

/** The run-wide factor from the environment (1 when unset). */
export function toleranceFactor(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TOLERANCE_FACTOR_ENV];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${TOLERANCE_FACTOR_ENV}: expected a positive number, got "${raw}"`);
  return n;
}

export function scriptTolerance(o: Pick<PacketdrillOptions, 'toleranceUsecs' | 'tolerancePercent'>, stack: string, factor: number): Tolerance {
  return {
    usecs: Math.max(Math.round(o.toleranceUsecs * factor), STACK_FLOOR_USECS[stack] ?? STACK_FLOOR_USECS.uml),
    percent: o.tolerancePercent * factor,
  };
}

/** The tolerance for an event expected at `expectedUs` whose previous event was at `lastUs` (script µs). */
export function toleranceAt(t: Tolerance, expectedUs: number, lastUs: number | null): number {
  if (lastUs === null) return t.usecs;
  return Math.max(t.usecs, Math.floor((t.percent / 100) * (expectedUs - lastUs)));
}

const secs = (us: number) => (us / 1e6).toFixed(6);

export interface TimeCheck {
  /** what happened: "outbound packet", "system call return", … */
  what: string;
  expectedUs: number;
  /** the end of a range (a range is checked as [start - tol, end + tol]) */
  endUs?: number;
  /**
   * how much later than `expectedUs` the expected time may really be: its base (the
   * previous event's end) is known to lie within this many µs
   */
  slackUs?: number;
  actualUs: number;
  toleranceUs: number;
  /**
   * how long the host under test was surely held back since the previous event (a
   * guest's threads waiting for a CPU of this machine): so much later is the machine's
   * doing, not the stack's, unless without it the event may have been early (a hold
   * never hides an answer that came too soon, the difference stacks most often show)
   */
  heldUs?: number;
  /** the earliest the host may have meant the event for: the event it follows (default: no bound) */
  heldAfterUs?: number;
}

/** packetdrill's timing error text, or null when on time. */
export function timingError(c: TimeCheck): string | null {
  const slack = c.slackUs ?? 0;
  const end = c.endUs ?? c.expectedUs;
  // unheld, it would have happened between actualUs - heldUs (and not before the event it follows) and actualUs
  const held = c.heldUs !== undefined && Math.max(c.actualUs - c.heldUs, c.heldAfterUs ?? -Infinity) >= c.expectedUs - c.toleranceUs ? c.heldUs : 0;
  if (c.actualUs >= c.expectedUs - c.toleranceUs && c.actualUs <= end + slack + held + c.toleranceUs) return null;
  const base = slack > 0 ? ` (the previous event ended up to ${secs(slack)} sec after that)` : '';
  const cpu = c.heldUs && c.actualUs > end ? `; the host waited up to ${secs(c.heldUs)} sec for a CPU meanwhile${held ? '' : ', and without that wait it may have been early'}` : '';
  if (c.endUs !== undefined) {
    return `timing error: expected ${c.what} in time range ${secs(c.expectedUs)}~${secs(c.endUs)} sec${base} but happened at ${secs(c.actualUs)} sec; tolerance ${secs(c.toleranceUs)} sec${cpu}`;
  }
  return `timing error: expected ${c.what} at ${secs(c.expectedUs)} sec${base} but happened at ${secs(c.actualUs)} sec; tolerance ${secs(c.toleranceUs)} sec${cpu}`;
}

export { secs as formatSeconds };
