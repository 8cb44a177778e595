/** What `tcpladder diff` can find between two bundles, one case at a time. */
import type { BundleSegment } from './bundle-schema.js';
import { withoutPsh } from './normalise-segments.js';

/** A segment field that can differ between two aligned segments. */
export type SegmentField = 'flags' | 'seq' | 'ack' | 'len' | 'win' | 'opts' | 'marks' | 'maxLen';

export interface FieldChange {
  field: SegmentField;
  a: string | number | null;
  b: string | number | null;
}

export type Difference =
  | { kind: 'case-only-in-a' }
  | { kind: 'case-only-in-b' }
  | { kind: 'status'; a: string; b: string; errorA?: string; errorB?: string }
  /** a segment of A with no counterpart in B (`a`: its index in A's segments) */
  | { kind: 'segment-missing'; a: number; segment: BundleSegment }
  /** a segment of B with no counterpart in A */
  | { kind: 'segment-added'; b: number; segment: BundleSegment }
  | { kind: 'segment-changed'; a: number; b: number; changes: FieldChange[] }
  | { kind: 'socket-only-in-a'; socket: string }
  | { kind: 'socket-only-in-b'; socket: string }
  | { kind: 'endpoint'; socket: string; field: 'local' | 'remote'; a: string | null; b: string | null }
  | { kind: 'states'; socket: string; a: string[]; b: string[] }
  /** a socket call whose outcome differs, or that only one side made */
  | { kind: 'outcome'; socket: string; a: string | null; b: string | null }
  | { kind: 'timer'; name: string; a: number | null; b: number | null; toleranceMs: number };

export type DifferenceKind = Difference['kind'];

export const DIFFERENCE_KINDS: readonly DifferenceKind[] = [
  'case-only-in-a',
  'case-only-in-b',
  'status',
  'segment-missing',
  'segment-added',
  'segment-changed',
  'socket-only-in-a',
  'socket-only-in-b',
  'endpoint',
  'states',
  'outcome',
  'timer',
];

/**
 * The names a baseline entry's `field` is matched against: the changed fields of a
 * segment, the flags of an added or missing segment ("RST ACK"), the socket of a
 * socket difference, the timer's name; none for the rest.
 */
export function differenceSubjects(d: Difference): string[] {
  switch (d.kind) {
    case 'segment-changed':
      return d.changes.map((c) => c.field);
    case 'segment-missing':
    case 'segment-added':
      return [d.segment.data ? 'data' : withoutPsh(d.segment.flags)];
    case 'socket-only-in-a':
    case 'socket-only-in-b':
    case 'endpoint':
    case 'states':
    case 'outcome':
      return [d.socket];
    case 'timer':
      return [d.name];
    default:
      return [];
  }
}
