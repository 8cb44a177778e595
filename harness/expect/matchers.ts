/**
 * vitest matchers: toHaveSegments, toHaveStates, toPassThrough, toFailWith.
 *
 * Observations arrive asynchronously (frames from the sidecar, events from tracefs),
 * so a matcher waits until the observation matches or `within` ms pass with no match;
 * it never retries the case, it waits for the wire and the kernel to report.
 */
import { expect } from 'vitest';
import type { TraceSegment, TraceTransition } from '../trace/types.js';
import { parsePatterns, type PatternInput, type Pattern } from '../pattern/index.js';
import { matchSegments, matchStates, matchSubsequence, matchSampled, mismatch, type MatchResult } from './match.js';
import { isTcpState } from '../observe/states.js';
import { InputError } from '../input-error.js';
import { caseScope, recordExpectation } from './expectations.js';

export interface SegmentSubject {
  kind: 'segments';
  /** the case's host names: a pattern naming another is bad input, not a mismatch */
  hosts(): string[];
  segments(): TraceSegment[];
  /** resolves once every frame captured so far is among segments() */
  caughtUp?(): Promise<void>;
  /** resolves at the next observation or after `ms` */
  changed(ms: number): Promise<void>;
  pcap: string;
  ladder(): string;
}

export interface StateSubject {
  kind: 'states';
  label: string;
  transitions(): Promise<TraceTransition[]>;
  ladder(): string;
  pcap: string;
  /**
   * What the socket's stack can show of it: 'descriptors' (gVisor) sees a socket only
   * while the case holds a descriptor for it — not in the accept queue, not after close().
   */
  visibility?(): { view: 'traced' | 'sampled' | 'descriptors'; closed: boolean; accepted: boolean; stack: string };
  /** why guests did not answer when last asked for their states: what they saw since is missing */
  unanswered?(): string[];
}

/** What a scripted peer received, with a cursor: each toReceive consumes what it matched. */
export interface ReceivedSubject {
  kind: 'received';
  hosts(): string[];
  label: string;
  /** the peer's host name */
  host: string;
  /** every segment on the wire (the cursor indexes this list) */
  segments(): TraceSegment[];
  cursor(): number;
  consume(n: number): void;
  changed(ms: number): Promise<void>;
  ladder(): string;
  pcap: string;
}

type Subject = SegmentSubject | StateSubject | ReceivedSubject;
const subjects = new WeakMap<object, Subject>();

export function registerSubject(target: object, subject: Subject): void {
  subjects.set(target, subject);
}

const DEFAULT_WITHIN_MS = 3000;

export interface WaitOptions {
  /** how long to wait for a match, ms (default 3000) */
  within?: number;
}

export function segmentLine(s: TraceSegment): string {
  const parts = [`${s.from} > ${s.to} ${s.flags}`, `seq=${s.rseq}`];
  if (s.flags.includes('ACK')) parts.push(`ack=${s.rack}`);
  if (s.len) parts.push(`len=${s.len}`);
  parts.push(`win=${s.win}`);
  const opts = s.options.filter((o) => o.name !== 'nop').map((o) => (o.mss !== undefined ? `mss=${o.mss}` : o.wscale !== undefined ? `wscale=${o.wscale}` : o.name));
  if (opts.length) parts.push(`<${opts.join(',')}>`);
  return parts.join(' ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Expected beside observed, row by row, the first mismatch marked. */
export function sideBySide(patterns: Pattern[], segments: TraceSegment[], result: MatchResult): string {
  const width = Math.min(60, Math.max(10, ...patterns.map((p) => p.text.length)) + 2);
  const rows: string[] = [`     ${pad('expected', width)}  observed`];
  const used = new Set<number>();
  patterns.forEach((p, i) => {
    const si = result.alignment[i];
    const failHere = result.failure?.pattern === i;
    let observed = '';
    if (si >= 0) {
      observed = `  ${segmentLine(segments[si])}`;
      used.add(si);
    } else if (failHere && result.failure!.segment !== null) {
      observed = `✗ ${segmentLine(segments[result.failure!.segment])}   ← ${result.failure!.reason}`;
      used.add(result.failure!.segment);
    } else if (failHere) {
      observed = `✗ (nothing)   ← ${result.failure!.reason}`;
    } else if (p.kind === 'any') {
      observed = '  …';
    }
    rows.push(`${String(i + 1).padStart(3)}  ${pad(p.text, width)}${observed}`);
  });
  const extra = segments.map((s, i) => [s, i] as const).filter(([, i]) => !used.has(i) && i >= (result.failure?.segment ?? segments.length));
  if (result.failure && result.failure.pattern === patterns.length) {
    for (const [s] of extra) rows.push(`     ${pad('', width)}✗ ${segmentLine(s)}   ← not expected`);
  }
  return rows.join('\n');
}

function checkHosts(patterns: Pattern[], hosts: string[]): void {
  patterns.forEach((p, i) => {
    if (p.kind !== 'segment') return;
    for (const h of [p.from, p.to]) {
      if (!hosts.includes(h)) throw new InputError(`segment pattern ${i + 1} "${p.text}": unknown host "${h}" (hosts: ${hosts.join(', ')})`);
    }
  });
}

/** The case's time scale (1 on this machine's kernel): waits with a default stretch by it. */
export function currentTimeScale(): number {
  return caseScope()?.timeScale ?? 1;
}

function within(options?: WaitOptions): number {
  return options?.within ?? DEFAULT_WITHIN_MS * currentTimeScale();
}

async function waitForSegments(subject: SegmentSubject, patterns: Pattern[], ms: number) {
  // The capture streams behind the wire, far behind after a bulk transfer on a busy
  // machine (seen: seconds under CPU load): what has been on the wire by now is judged
  // first, and only then does `within` wait for what is still to come.
  await subject.caughtUp?.();
  const deadline = Date.now() + ms;
  for (;;) {
    const segments = subject.segments();
    const result = matchSegments(patterns, segments);
    const left = deadline - Date.now();
    if (result.ok || left <= 0) return { segments, result };
    await subject.changed(Math.min(left, 200));
  }
}

type StateCheck = (states: string[], transitions: TraceTransition[]) => { ok: boolean; at: number };

/**
 * Waits until `check` holds or `ms` pass. `final(states)` says when waiting longer cannot
 * change the verdict: a socket a stack can no longer show (gVisor after close()).
 */
async function waitForStates(subject: StateSubject, check: StateCheck, ms: number, final?: (states: string[]) => boolean) {
  const deadline = Date.now() + ms;
  for (;;) {
    const transitions = await subject.transitions();
    const states = transitions.map((t) => t.to);
    const result = check(states, transitions);
    if (result.ok || Date.now() >= deadline || final?.(states)) return { transitions, states, result };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The states of a closed socket on a stack that shows a socket only while the case holds
 * its descriptor are all in (transitions() waited for the last samples): when what is
 * missing is what that stack cannot show, the expectation is not observable now and will
 * be no more after `within` (which on gVisor cost the whole window, seconds per case).
 */
function closedAndUnobservable(subject: StateSubject, want: string[], exact: boolean): (states: string[]) => boolean {
  return (states) => {
    const v = subject.visibility?.();
    return v?.view === 'descriptors' && v.closed && notObservable(subject, want, states, exact) !== null;
  };
}

/** Were these states seen by sampling (a rootless run) rather than reported by the kernel? */
function sampled(transitions: TraceTransition[]): boolean {
  return transitions.some((t) => t.source === 'sampled');
}

const SAMPLED_NOTE =
  'states were sampled (a rootless run, or a guest: no tracepoint): a state shorter than the gap between two samples is not seen, ' +
  'so an expected state may be missing; every state seen must be expected, in order, and the last expected state must be seen';

function stateFailure(subject: StateSubject, headline: string, table: string, fromSamples: boolean): string {
  const unanswered = (subject.unanswered?.() ?? []).map((why) => `states may be incomplete: asked for its states, ${why}`);
  return [
    headline,
    '',
    table,
    ...(unanswered.length ? ['', ...unanswered] : []),
    ...(fromSamples ? ['', SAMPLED_NOTE] : []),
    '',
    'observed ladder:',
    subject.ladder(),
    `pcap: ${subject.pcap}`,
  ].join('\n');
}

/**
 * A state expectation the socket's stack cannot show (gVisor shows a socket only while
 * the case holds a descriptor for it): when every state that was seen is expected, in
 * order, and what is missing is what the stack could not have shown — an accepted
 * socket's SYN_RECV, anything after close() — the expectation is not observable there,
 * neither passed nor failed. States seen out of order still fail it.
 */
function notObservable(subject: StateSubject, want: string[], states: string[], exact: boolean) {
  const v = subject.visibility?.();
  if (!v || v.view !== 'descriptors') return null;
  // what was seen may still fail the expectation: every state seen must be expected, in
  // order (toPassThrough: the expected ones among them, in order)
  let j = 0;
  for (const seen of states) {
    const k = want.indexOf(seen, j);
    if (k < 0) {
      if (exact || want.includes(seen)) return null;
      continue;
    }
    j = k + 1;
  }
  const missing = want.filter((s) => !states.includes(s));
  const why: string[] = [];
  if (v.accepted && missing.includes('SYN_RECV')) why.push('an accepted socket is not seen before accept(), so its SYN_RECV is not');
  if (v.closed) why.push('a socket is not seen after close()');
  if (!why.length || missing.some((s) => s !== 'SYN_RECV' && !v.closed)) return null;
  const reason = `${v.stack} shows a socket only while the case holds a descriptor for it: ${why.join('; ')} (unseen: ${missing.join(', ')}; seen: ${states.join(' → ') || 'nothing'})`;
  return {
    verdict(matcher: string) {
      recordExpectation({ matcher, subject: subject.label, expected: want.join(' → '), outcome: 'not observable', reason });
      return { pass: true, message: () => `not observable: ${reason}` };
    },
  };
}

const NEEDS = { segments: "the case's `wire`", states: 'a socket made by a case host', received: 'a scripted peer (await wire.raw(host))' };

function subjectOf<K extends Subject['kind']>(received: unknown, kind: K, matcher: string): Extract<Subject, { kind: K }> {
  const s = received && typeof received === 'object' ? subjects.get(received) : undefined;
  if (!s || s.kind !== kind) throw new InputError(`${matcher} needs ${NEEDS[kind]}, got ${typeof received}`);
  return s as Extract<Subject, { kind: K }>;
}

function checkStateNames(expected: unknown, matcher: string): string[] {
  if (!Array.isArray(expected)) throw new InputError(`${matcher} expects an array of state names`);
  expected.forEach((s, i) => {
    if (typeof s !== 'string' || !isTcpState(s)) {
      throw new InputError(`${matcher}: state ${i + 1} "${String(s)}" is not one of CLOSED LISTEN SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT`);
    }
  });
  return expected as string[];
}

function stateTable(expected: string[], transitions: TraceTransition[], at: number): string {
  const width = Math.max(12, ...expected.map((s) => s.length)) + 2;
  const n = Math.max(expected.length, transitions.length);
  const rows = [`     ${pad('expected', width)}observed`];
  for (let i = 0; i < n; i++) {
    const t = transitions[i];
    const obs = t ? `${t.to}  (${t.from} → ${t.to} at ${t.t.toFixed(3)} s, ${t.source})` : '(nothing)';
    rows.push(`${i === at ? ' ✗ ' : '   '}${String(i + 1).padStart(2)} ${pad(expected[i] ?? '(nothing)', width)}${obs}`);
  }
  return rows.join('\n');
}

expect.extend({
  async toHaveSegments(received: unknown, expected: PatternInput[], options?: WaitOptions) {
    const subject = subjectOf(received, 'segments', 'toHaveSegments');
    const patterns = parsePatterns(expected);
    checkHosts(patterns, subject.hosts());
    const { segments, result } = await waitForSegments(subject, patterns, this.isNot ? 0 : within(options));
    if (!result.ok && !this.isNot) {
      const f = result.failure!;
      recordExpectation({ matcher: 'toHaveSegments', subject: 'the wire', expected: patterns[f.pattern]?.text ?? '(no further segment)', outcome: 'failed', reason: f.reason });
    }
    return {
      pass: result.ok,
      message: () =>
        result.ok
          ? `expected the wire not to match the segment patterns, but it did (pcap: ${subject.pcap})`
          : [
              `the wire does not match: pattern ${result.failure!.pattern + 1}: ${result.failure!.reason}`,
              '',
              sideBySide(patterns, segments, result),
              '',
              'observed ladder:',
              subject.ladder(),
              `pcap: ${subject.pcap}`,
            ].join('\n'),
    };
  },

  async toHaveStates(received: unknown, expected: string[], options?: WaitOptions) {
    const subject = subjectOf(received, 'states', 'toHaveStates');
    const want = checkStateNames(expected, 'toHaveStates');
    const check: StateCheck = (states, transitions) => (sampled(transitions) ? matchSampled(want, states, true) : matchStates(want, states));
    const { transitions, states, result: r } = await waitForStates(subject, check, this.isNot ? 0 : within(options), closedAndUnobservable(subject, want, true));
    const fromSamples = sampled(transitions);
    if (!r.ok && !this.isNot) {
      const unseen = notObservable(subject, want, states, true);
      if (unseen) return unseen.verdict('toHaveStates');
      recordExpectation({ matcher: 'toHaveStates', subject: subject.label, expected: want.join(' → '), outcome: 'failed', reason: `differs at ${r.at + 1}` });
    }
    return {
      pass: r.ok,
      message: () =>
        r.ok
          ? `expected ${subject.label} not to go through exactly ${want.join(' → ')}`
          : stateFailure(
              subject,
              fromSamples ? `${subject.label}: states differ at observed state ${r.at + 1}` : `${subject.label}: states differ at ${r.at + 1}`,
              stateTable(want, transitions, fromSamples ? -1 : r.at),
              fromSamples,
            ),
    };
  },

  async toPassThrough(received: unknown, expected: string[], options?: WaitOptions) {
    const subject = subjectOf(received, 'states', 'toPassThrough');
    const want = checkStateNames(expected, 'toPassThrough');
    const check: StateCheck = (states, transitions) => (sampled(transitions) ? matchSampled(want, states, false) : matchSubsequence(want, states));
    const { transitions, states, result: r } = await waitForStates(subject, check, this.isNot ? 0 : within(options), closedAndUnobservable(subject, want, false));
    const fromSamples = sampled(transitions);
    if (!r.ok && !this.isNot) {
      const unseen = notObservable(subject, want, states, false);
      if (unseen) return unseen.verdict('toPassThrough');
      recordExpectation({ matcher: 'toPassThrough', subject: subject.label, expected: want.join(' → '), outcome: 'failed', reason: `never reached ${want[r.at] ?? want[want.length - 1]}` });
    }
    return {
      pass: r.ok,
      message: () =>
        r.ok
          ? `expected ${subject.label} not to pass through ${want.join(' → ')}`
          : stateFailure(
              subject,
              `${subject.label}: never reached ${fromSamples ? want[want.length - 1] : want[r.at]} (expected in order: ${want.join(' → ')})`,
              stateTable(want, transitions, -1),
              fromSamples,
            ),
    };
  },

  /** `await expect(raw).toReceive('server > raw SYN ACK mss=536')`: the next matching segment to the peer. */
  async toReceive(received: unknown, pattern: PatternInput, options?: WaitOptions) {
    const subject = subjectOf(received, 'received', 'toReceive');
    const [p] = parsePatterns([pattern]);
    if (p.kind !== 'segment') throw new InputError('toReceive takes one segment pattern, not "..."');
    checkHosts([p], subject.hosts());
    const deadline = Date.now() + within(options);
    const start = subject.cursor();
    let reasons: string[] = [];
    for (;;) {
      const all = subject.segments();
      reasons = [];
      for (let i = start; i < all.length; i++) {
        if (all[i].to !== subject.host) continue;
        const why = mismatch(p, all[i], all.slice(0, i));
        if (!why) {
          subject.consume(i + 1);
          return { pass: true, message: () => `expected ${subject.label} not to receive ${p.text}` };
        }
        reasons.push(`  ${segmentLine(all[i])}   ← ${why}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await subject.changed(Math.min(left, 200));
    }
    recordExpectation({ matcher: 'toReceive', subject: subject.label, expected: p.text, outcome: 'failed', reason: reasons.length ? 'no segment matched' : 'nothing received' });
    return {
      pass: false,
      message: () =>
        [
          `${subject.label} did not receive ${p.text} within ${within(options)} ms`,
          reasons.length ? `received since the last match:\n${reasons.join('\n')}` : 'received nothing since the last match',
          '',
          'observed ladder:',
          subject.ladder(),
          `pcap: ${subject.pcap}`,
        ].join('\n'),
    };
  },

  /** `await expect(sock.read()).toFailWith('ECONNRESET')` */
  async toFailWith(received: unknown, code: string) {
    if (!(received instanceof Promise)) throw new InputError('toFailWith expects the promise of a socket call');
    try {
      const value = await received;
      const shown = Buffer.isBuffer(value) ? `${value.length} bytes` : JSON.stringify(value);
      if (!this.isNot) recordExpectation({ matcher: 'toFailWith', subject: 'a socket call', expected: code, outcome: 'failed', reason: `succeeded with ${shown}` });
      return { pass: false, message: () => `expected the call to fail with ${code}, it succeeded with ${shown}` };
    } catch (e) {
      const got = (e as { code?: string }).code ?? (e as Error).message;
      if (got !== code && !this.isNot) recordExpectation({ matcher: 'toFailWith', subject: 'a socket call', expected: code, outcome: 'failed', reason: `failed with ${got}` });
      return {
        pass: got === code,
        message: () => (got === code ? `expected the call not to fail with ${code}` : `expected the call to fail with ${code}, it failed with ${got}`),
      };
    }
  },
});

export interface TcpladderMatchers<R = unknown> {
  toHaveSegments(patterns: PatternInput[], options?: WaitOptions): Promise<R>;
  toHaveStates(states: string[], options?: WaitOptions): Promise<R>;
  toPassThrough(states: string[], options?: WaitOptions): Promise<R>;
  toFailWith(code: string): Promise<R>;
  toReceive(pattern: PatternInput, options?: WaitOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends TcpladderMatchers<T> {}
}
