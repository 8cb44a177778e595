/**
 * Two bundles compared case by case: cases only on one side, the status, the
 * segments (aligned, then field by field), each socket's states, endpoints and
 * calls, and timer durations beyond a tolerance. Where the two runs were made
 * (kernel, distribution, profile, sysctls) is reported as context, not as a
 * difference: it is what the diff is usually about.
 */
import type { Bundle, BundleCase, BundleSegment, BundleSocket } from './bundle-schema.js';
import { align } from './align.js';
import type { Difference, FieldChange, SegmentField } from './differences.js';
import { withoutPsh } from './normalise-segments.js';
import { hostSysctls } from './build-bundle.js';
import { applyBaseline, type Baseline } from './baseline.js';

export interface Tolerance {
  /** absolute slack for timer durations (default 50 ms) */
  ms: number;
  /** relative slack, of the larger of the two durations (default 0.125 = 12.5 %, packetdrill's figure) */
  ratio: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { ms: 50, ratio: 0.125 };

export interface DiffOptions {
  tolerance?: Partial<Tolerance>;
  baseline?: Baseline;
}

export interface CaseDifference {
  difference: Difference;
  /** listed in the baseline: shown, but not counted for the exit code */
  accepted: boolean;
}

export interface CaseDiff {
  id: string;
  verdict: 'same' | 'different' | 'only-in-a' | 'only-in-b';
  differences: CaseDifference[];
  a?: BundleCase;
  b?: BundleCase;
}

export interface BundleSide {
  label: string;
  run: string;
  kernel: string;
  distribution: string;
  profile: string | null;
  tool: string;
}

export interface BundleDiff {
  a: BundleSide;
  b: BundleSide;
  /** how the two runs' settings differ: kernel, distribution, profile, sysctls */
  environment: string[];
  tolerance: Tolerance;
  cases: CaseDiff[];
  counts: { cases: number; same: number; different: number; onlyInA: number; onlyInB: number; differences: number; accepted: number; new: number };
}

function side(label: string, b: Bundle): BundleSide {
  return {
    label,
    run: b.run,
    kernel: `${b.system.kernelRelease} ${b.system.kernelVersion}`.trim(),
    distribution: b.system.distribution.prettyName,
    profile: b.profile,
    tool: `${b.tool.name} ${b.tool.version} (node ${b.tool.node})`,
  };
}

export function segmentKey(s: BundleSegment): string {
  return `${s.conn}\u0000${s.from}\u0000${s.to}\u0000${withoutPsh(s.flags)}\u0000${s.data ? 'data' : ''}`;
}

function fieldValue(s: BundleSegment, f: SegmentField): string | number | null {
  switch (f) {
    case 'marks':
      return s.marks?.length ? s.marks.join(',') : null;
    case 'maxLen':
      return s.data?.maxLen ?? null;
    default:
      return s[f] ?? null;
  }
}

const SEGMENT_FIELDS: readonly SegmentField[] = ['flags', 'seq', 'ack', 'len', 'win', 'opts', 'marks', 'maxLen'];

export function segmentChanges(a: BundleSegment, b: BundleSegment): FieldChange[] {
  return SEGMENT_FIELDS.flatMap((field) => {
    const va = fieldValue(a, field);
    const vb = fieldValue(b, field);
    return va === vb ? [] : [{ field, a: va, b: vb }];
  });
}

function compareSegments(a: BundleSegment[], b: BundleSegment[]): Difference[] {
  const out: Difference[] = [];
  for (const step of align(a, b, segmentKey)) {
    if (step.a !== null && step.b !== null) {
      const changes = segmentChanges(a[step.a], b[step.b]);
      if (changes.length) out.push({ kind: 'segment-changed', a: step.a, b: step.b, changes });
    } else if (step.a !== null) {
      out.push({ kind: 'segment-missing', a: step.a, segment: a[step.a] });
    } else if (step.b !== null) {
      out.push({ kind: 'segment-added', b: step.b, segment: b[step.b] });
    }
  }
  return out;
}

/** "read(to EOF)" of "read(to EOF) → ECONNRESET": what was called, without the outcome. */
function callName(call: string): string {
  const i = call.lastIndexOf(' → ');
  return i < 0 ? call : call.slice(0, i);
}

function compareSockets(a: BundleSocket[], b: BundleSocket[], states: boolean): Difference[] {
  const out: Difference[] = [];
  const inB = new Map(b.map((s) => [s.label, s]));
  const inA = new Map(a.map((s) => [s.label, s]));
  for (const sa of a) {
    const sb = inB.get(sa.label);
    if (!sb) {
      out.push({ kind: 'socket-only-in-a', socket: sa.label });
      continue;
    }
    for (const field of ['local', 'remote'] as const) {
      if (sa[field] !== sb[field]) out.push({ kind: 'endpoint', socket: sa.label, field, a: sa[field], b: sb[field] });
    }
    if (states && sa.states.join(' ') !== sb.states.join(' ')) out.push({ kind: 'states', socket: sa.label, a: sa.states, b: sb.states });
    for (const step of align(sa.calls, sb.calls, callName)) {
      const ca = step.a === null ? null : sa.calls[step.a];
      const cb = step.b === null ? null : sb.calls[step.b];
      if (ca !== cb) out.push({ kind: 'outcome', socket: sa.label, a: ca, b: cb });
    }
  }
  for (const sb of b) if (!inA.has(sb.label)) out.push({ kind: 'socket-only-in-b', socket: sb.label });
  return out;
}

function compareTimers(a: Record<string, number>, b: Record<string, number>, tol: Tolerance): Difference[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: Difference[] = [];
  for (const name of names) {
    const va = a[name] ?? null;
    const vb = b[name] ?? null;
    const toleranceMs = Math.round(Math.max(tol.ms, tol.ratio * Math.max(va ?? 0, vb ?? 0)));
    if (va === null || vb === null || Math.abs(va - vb) > toleranceMs) out.push({ kind: 'timer', name, a: va, b: vb, toleranceMs });
  }
  return out;
}

/** `states: false`: one side's states were sampled (rootless), the other's traced: their lists are not comparable. */
export function compareCases(a: BundleCase, b: BundleCase, tol: Tolerance = DEFAULT_TOLERANCE, compare: { states: boolean } = { states: true }): Difference[] {
  const out: Difference[] = [];
  if (a.status !== b.status) {
    out.push({ kind: 'status', a: a.status, b: b.status, ...(a.error ? { errorA: a.error } : {}), ...(b.error ? { errorB: b.error } : {}) });
  }
  out.push(...compareSegments(a.segments, b.segments));
  out.push(...compareSockets(a.sockets, b.sockets, compare.states));
  out.push(...compareTimers(a.timers, b.timers, tol));
  return out;
}

function environment(a: Bundle, b: Bundle): string[] {
  const out: string[] = [];
  const line = (what: string, va: string, vb: string) => {
    if (va !== vb) out.push(`${what}: ${va} → ${vb}`);
  };
  line('kernel', `${a.system.kernelRelease} ${a.system.kernelVersion}`.trim(), `${b.system.kernelRelease} ${b.system.kernelVersion}`.trim());
  line('machine', a.system.machine, b.system.machine);
  line('distribution', a.system.distribution.prettyName, b.system.distribution.prettyName);
  line('profile', a.profile ?? '(none)', b.profile ?? '(none)');
  const seen = (x: Bundle) => (x.states === 'sampled' ? 'sampled through sock_diag (rootless)' : 'traced');
  if (seen(a) !== seen(b)) out.push(`states: ${seen(a)} → ${seen(b)} (state lists not compared: sampling misses short states)`);
  line('tool', `${a.tool.name} ${a.tool.version} (node ${a.tool.node})`, `${b.tool.name} ${b.tool.version} (node ${b.tool.node})`);
  // per sysctl and pair of values: which hosts, in how many cases
  const changes = new Map<string, { hosts: Set<string>; cases: Set<string> }>();
  const bCases = new Map(b.cases.map((c) => [c.id, c]));
  for (const ca of a.cases) {
    const cb = bCases.get(ca.id);
    if (!cb) continue;
    for (const ha of ca.hosts) {
      const hb = cb.hosts.find((h) => h.name === ha.name);
      if (!hb) continue;
      const sa = hostSysctls(a, ha);
      const sb = hostSysctls(b, hb);
      for (const key of new Set([...Object.keys(sa), ...Object.keys(sb)])) {
        if (sa[key] === sb[key]) continue;
        const k = `sysctl ${key}: ${sa[key] ?? '(absent)'} → ${sb[key] ?? '(absent)'}`;
        const entry = changes.get(k) ?? { hosts: new Set<string>(), cases: new Set<string>() };
        entry.hosts.add(ha.name);
        entry.cases.add(ca.id);
        changes.set(k, entry);
      }
    }
  }
  for (const [k, e] of [...changes].sort(([x], [y]) => (x < y ? -1 : 1))) {
    out.push(`${k} (${[...e.hosts].sort().join(', ')}; ${e.cases.size} case${e.cases.size === 1 ? '' : 's'})`);
  }
  return out;
}

export function diffBundles(a: Bundle, b: Bundle, labels: { a: string; b: string }, options: DiffOptions = {}): BundleDiff {
  const tolerance: Tolerance = { ...DEFAULT_TOLERANCE, ...options.tolerance };
  const ids = [...new Set([...a.cases.map((c) => c.id), ...b.cases.map((c) => c.id)])].sort();
  const aCases = new Map(a.cases.map((c) => [c.id, c]));
  const bCases = new Map(b.cases.map((c) => [c.id, c]));
  const cases: CaseDiff[] = ids.map((id) => {
    const ca = aCases.get(id);
    const cb = bCases.get(id);
    const states = (a.states ?? 'traced') === (b.states ?? 'traced');
    const diffs: Difference[] = !cb ? [{ kind: 'case-only-in-a' }] : !ca ? [{ kind: 'case-only-in-b' }] : compareCases(ca, cb, tolerance, { states });
    const differences = diffs.map((difference) => ({ difference, accepted: options.baseline ? applyBaseline(options.baseline, id, difference) : false }));
    const verdict: CaseDiff['verdict'] = !cb ? 'only-in-a' : !ca ? 'only-in-b' : differences.length ? 'different' : 'same';
    return { id, verdict, differences, ...(ca ? { a: ca } : {}), ...(cb ? { b: cb } : {}) };
  });
  const all = cases.flatMap((c) => c.differences);
  const accepted = all.filter((d) => d.accepted).length;
  return {
    a: side(labels.a, a),
    b: side(labels.b, b),
    environment: environment(a, b),
    tolerance,
    cases,
    counts: {
      cases: cases.length,
      same: cases.filter((c) => c.verdict === 'same').length,
      different: cases.filter((c) => c.verdict === 'different').length,
      onlyInA: cases.filter((c) => c.verdict === 'only-in-a').length,
      onlyInB: cases.filter((c) => c.verdict === 'only-in-b').length,
      differences: all.length,
      accepted,
      new: all.length - accepted,
    },
  };
}
