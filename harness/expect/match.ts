/** Matching observed segments against patterns, with `...` for any run of segments. */
import type { TraceSegment } from '../trace/types.js';
import { compare, type OptionSpec, type Pattern, type SegmentPattern, type ValueSpec } from '../pattern/index.js';

const has = (s: TraceSegment, flag: string) => s.flags.split(' ').includes(flag);

/** Sequence space a segment uses: its payload plus one for SYN and one for FIN. */
function span(s: TraceSegment): number {
  return s.len + (has(s, 'SYN') ? 1 : 0) + (has(s, 'FIN') ? 1 : 0);
}

function lastFrom(history: TraceSegment[], from: string, conn: number, pred: (s: TraceSegment) => boolean = () => true) {
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i];
    if (s.from === from && s.conn === conn && pred(s)) return s;
  }
  return undefined;
}

function checkValue(key: 'seq' | 'ack' | 'len' | 'win', spec: ValueSpec, s: TraceSegment, history: TraceSegment[]): string | null {
  const actual = key === 'seq' ? s.rseq : key === 'ack' ? s.rack : s[key];
  if (spec.kind === 'number') return compare(spec.op, actual, spec.value) ? null : `${key}: expected ${spec.op === '=' ? '' : spec.op}${spec.value}, got ${actual}`;
  if (spec.kind === 'acks') {
    const flag = spec.what.toUpperCase();
    const peer = lastFrom(history, s.to, s.conn, (p) => has(p, flag));
    if (!peer) return `ack=${spec.what}+1: ${s.to} sent no ${flag} before this segment`;
    const want = peer.rseq + span(peer);
    if (!has(s, 'ACK')) return `ack=${spec.what}+1: no ACK flag`;
    return actual === want ? null : `ack: expected ${spec.what}+1 = ${want}, got ${actual}`;
  }
  if (key === 'seq') {
    const prev = lastFrom(history, s.from, s.conn);
    if (!prev) return `seq=+len: ${s.from} sent nothing before this segment`;
    const want = prev.rseq + span(prev);
    return actual === want ? null : `seq: expected +len = ${want}, got ${actual}`;
  }
  const peer = lastFrom(history, s.to, s.conn);
  if (!peer) return `ack=+len: ${s.to} sent nothing before this segment`;
  const want = peer.rseq + span(peer);
  return actual === want ? null : `ack: expected +len = ${want}, got ${actual}`;
}

function optionValue(s: TraceSegment, name: string): number | true | undefined {
  const o = s.options.find((x) => x.name === name);
  if (!o) return undefined;
  if (name === 'mss') return o.mss;
  if (name === 'wscale') return o.wscale;
  return true;
}

function checkOption(name: string, spec: OptionSpec, s: TraceSegment): string | null {
  const v = optionValue(s, name);
  if (spec.kind === 'present') return v !== undefined ? null : `${name}: expected the option, it is absent`;
  if (spec.kind === 'absent') return v === undefined ? null : `${name}: expected no such option, got ${v === true ? 'one' : v}`;
  if (typeof v !== 'number') return `${name}: expected ${spec.op}${spec.value}, the option is absent`;
  return compare(spec.op, v, spec.value) ? null : `${name}: expected ${spec.op === '=' ? '' : spec.op}${spec.value}, got ${v}`;
}

/** Why `s` does not match `p`, or null when it does. */
export function mismatch(p: SegmentPattern, s: TraceSegment, history: TraceSegment[]): string | null {
  if (s.from !== p.from || s.to !== p.to) return `direction: expected ${p.from} > ${p.to}, got ${s.from} > ${s.to}`;
  const actual = s.flags.split(' ').filter(Boolean);
  const required = p.flags;
  const allowed = new Set<string>([...p.flags, ...p.optionalFlags]);
  if (required.some((f) => !actual.includes(f as string)) || actual.some((f) => !allowed.has(f))) {
    return `flags: expected ${[...required, ...p.optionalFlags.map((f) => f + '?')].join(' ')}, got ${s.flags}`;
  }
  for (const key of ['seq', 'ack', 'len', 'win'] as const) {
    const spec = p[key];
    if (spec) {
      const why = checkValue(key, spec, s, history);
      if (why) return why;
    }
  }
  for (const key of ['mss', 'wscale', 'ts', 'sackOK'] as const) {
    const spec = p[key];
    if (spec) {
      const why = checkOption(key, spec, s);
      if (why) return why;
    }
  }
  for (const mark of p.marks ?? []) {
    if (!s.marks?.includes(mark)) return `expected the segment to be ${mark}${s.marks?.length ? `, it is ${s.marks.join(', ')}` : ''}`;
  }
  if (p.opts) {
    const got = s.options.map((o) => o.name);
    if (got.join(',') !== p.opts.join(',')) return `opts: expected [${p.opts.join(',')}], got [${got.join(',')}]`;
  }
  return null;
}

export interface MatchResult {
  ok: boolean;
  /** pattern index → segment index for the best alignment found (-1: unmatched) */
  alignment: number[];
  /** first failing pattern and segment, with the reason */
  failure?: { pattern: number; segment: number | null; reason: string };
}

/** Match the whole segment list against the patterns (`...` = any run, possibly empty). */
export function matchSegments(patterns: Pattern[], segments: TraceSegment[]): MatchResult {
  let best: MatchResult['failure'] & { depth: number } = { pattern: 0, segment: 0, reason: '', depth: -1 };
  const alignment = new Array<number>(patterns.length).fill(-1);
  let bestAlignment = alignment.slice();

  // (pattern, segment) positions already known to fail: without this, `...` runs make
  // the search exponential in the number of segments
  const failed = new Set<number>();
  const width = segments.length + 1;
  const go = (pi: number, si: number): boolean => {
    if (failed.has(pi * width + si)) return false;
    if (attempt(pi, si)) return true;
    failed.add(pi * width + si);
    return false;
  };
  const attempt = (pi: number, si: number): boolean => {
    if (pi === patterns.length) {
      if (si === segments.length) return true;
      if (pi > best.depth) {
        best = { pattern: pi, segment: si, reason: `${segments.length - si} more segment(s) than expected`, depth: pi };
        bestAlignment = alignment.slice();
      }
      return false;
    }
    const p = patterns[pi];
    if (p.kind === 'any') {
      for (let k = si; k <= segments.length; k++) if (go(pi + 1, k)) return true;
      return false;
    }
    if (si >= segments.length) {
      if (pi > best.depth) {
        best = { pattern: pi, segment: null, reason: 'no such segment was seen', depth: pi };
        bestAlignment = alignment.slice();
      }
      return false;
    }
    const why = mismatch(p, segments[si], segments.slice(0, si));
    if (why) {
      if (pi > best.depth) {
        best = { pattern: pi, segment: si, reason: why, depth: pi };
        bestAlignment = alignment.slice();
      }
      return false;
    }
    alignment[pi] = si;
    if (go(pi + 1, si + 1)) return true;
    alignment[pi] = -1;
    return false;
  };

  if (go(0, 0)) return { ok: true, alignment };
  const { depth: _, ...failure } = best;
  return { ok: false, alignment: bestAlignment, failure };
}

/** Exact match of a state list. */
export function matchStates(expected: string[], observed: string[]): { ok: boolean; at: number } {
  const n = Math.max(expected.length, observed.length);
  for (let i = 0; i < n; i++) if (expected[i] !== observed[i]) return { ok: false, at: i };
  return { ok: true, at: -1 };
}

/** Ordered subsequence: every expected state appears in order (others may come between). */
export function matchSubsequence(expected: string[], observed: string[]): { ok: boolean; at: number } {
  let j = 0;
  for (const s of observed) if (j < expected.length && s === expected[j]) j++;
  return { ok: j === expected.length, at: j === expected.length ? -1 : j };
}

/**
 * States seen by sampling (rootless runs): a state shorter than the gap between two
 * samples is never seen, so an expected state may be missing. Every state seen must
 * still be expected, in order — with `exact`, nothing else may be seen; without, other
 * states may come between — and the last expected state must be seen.
 * `at`: the observed state that is wrong, or observed.length when one is still missing.
 */
export function matchSampled(expected: string[], observed: string[], exact: boolean): { ok: boolean; at: number; unseen: string[] } {
  let j = 0;
  const unseen: string[] = [];
  for (let i = 0; i < observed.length; i++) {
    const k = expected.indexOf(observed[i], j);
    if (k < 0) {
      // seen after a later expected state: out of order, whether or not others may come between
      if (exact || unseen.includes(observed[i])) return { ok: false, at: i, unseen };
      continue;
    }
    unseen.push(...expected.slice(j, k));
    j = k + 1;
  }
  const ok = j === expected.length;
  return { ok, at: ok ? -1 : observed.length, unseen };
}
