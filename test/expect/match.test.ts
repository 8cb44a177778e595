import { describe, expect, it } from 'vitest';
import { matchSegments, matchStates, matchSubsequence, matchSampled, mismatch, parsePattern, parsePatterns, type SegmentPattern } from '../../harness/expect/index.js';
import type { TraceSegment } from '../../harness/trace/types.js';
import { activeClose, segment, SYN_OPTIONS } from './fixtures.js';

const FULL = [
  'client > server SYN',
  'server > client SYN ACK',
  'client > server ACK',
  'client > server PSH ACK len=100',
  'server > client ACK',
  'client > server FIN ACK',
  'server > client ACK ack=fin+1',
  'server > client FIN ACK',
  'client > server ACK ack=fin+1',
];

const match = (patterns: string[], segments: TraceSegment[] = activeClose()) => matchSegments(parsePatterns(patterns), segments);

/** Why segment `i` of the active close does not match `pattern` (null: it matches). */
function why(pattern: string, i: number, segments: TraceSegment[] = activeClose()): string | null {
  return mismatch(parsePattern(pattern) as SegmentPattern, segments[i], segments.slice(0, i));
}

describe('matchSegments: whole sequences', () => {
  it('matches the exact sequence and aligns pattern i with segment i', () => {
    const r = match(FULL);
    expect(r.ok).toBe(true);
    expect(r.alignment).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.failure).toBeUndefined();
  });

  it('fails when a segment is missing, pointing at the pattern with nothing left to match', () => {
    const r = match([...FULL, 'client > server RST']);
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ pattern: 9, segment: null, reason: 'no such segment was seen' });
  });

  it('fails when there are more segments than patterns', () => {
    const r = match(FULL.slice(0, 7));
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ pattern: 7, segment: 7, reason: '2 more segment(s) than expected' });
  });

  it('an empty pattern list matches only an empty wire', () => {
    expect(match([], []).ok).toBe(true);
    expect(match([]).ok).toBe(false);
  });

  it('reports the first mismatch with the reason', () => {
    const wrong = [...FULL];
    wrong[4] = 'server > client FIN ACK';
    const r = match(wrong);
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ pattern: 4, segment: 4, reason: 'flags: expected FIN ACK, got ACK' });
    expect(r.alignment.slice(0, 4)).toEqual([0, 1, 2, 3]);
  });
});

describe('matchSegments: ...', () => {
  it('matches any run, including an empty one', () => {
    expect(match(['...']).ok).toBe(true);
    expect(match(['...'], []).ok).toBe(true);
    expect(match(['client > server SYN', '...']).ok).toBe(true);
    expect(match(['...', 'client > server ACK ack=fin+1']).ok).toBe(true);
    expect(match(['client > server SYN', '...', 'server > client SYN ACK', '...']).ok).toBe(true); // empty run in the middle
    expect(match([...FULL, '...']).ok).toBe(true); // empty run at the end
    expect(match(['...', ...FULL]).ok).toBe(true); // empty run at the start
  });

  it('skips the data phase', () => {
    const r = match(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', '...', 'client > server FIN ACK', '...', 'client > server ACK']);
    expect(r.ok).toBe(true);
    expect(r.alignment).toEqual([0, 1, 2, -1, 5, -1, 8]);
  });

  it('backtracks: the pattern after ... can match a later segment than the first candidate', () => {
    // the first "server > client ACK" (segment 4) is followed by a client FIN, the second (6) by a server FIN
    const r = match(['...', 'server > client ACK', 'server > client FIN ACK', '...']);
    expect(r.ok).toBe(true);
    expect(r.alignment[1]).toBe(6);
  });

  it('still fails when nothing after ... matches, naming the deepest pattern reached', () => {
    const r = match(['client > server SYN', '...', 'server > client RST']);
    expect(r.ok).toBe(false);
    expect(r.failure?.pattern).toBe(2);
  });

  it('a trailing pattern after ... must match the last segment', () => {
    expect(match(['...', 'server > client FIN ACK']).ok).toBe(false);
  });
});

describe('mismatch: one segment against one pattern', () => {
  it('direction', () => {
    expect(why('server > client SYN', 0)).toBe('direction: expected server > client, got client > server');
  });

  it('flags must match exactly; a ? flag may be there or not', () => {
    expect(why('client > server ACK', 3)).toBe('flags: expected ACK, got PSH ACK');
    expect(why('client > server PSH? ACK', 3)).toBeNull();
    expect(why('client > server PSH? ACK', 2)).toBeNull();
    expect(why('client > server PSH ACK', 2)).toBe('flags: expected PSH ACK, got ACK');
    expect(why('server > client ACK SYN', 1)).toBeNull(); // order does not matter
  });

  it('relative seq, ack, len and win with comparators', () => {
    expect(why('client > server PSH ACK seq=1 ack=1 len=100', 3)).toBeNull();
    expect(why('client > server PSH ACK seq=2', 3)).toBe('seq: expected 2, got 1');
    expect(why('client > server PSH ACK len<=536', 3)).toBeNull();
    expect(why('client > server PSH ACK len>100', 3)).toBe('len: expected >100, got 100');
    expect(why('client > server PSH ACK len!=0', 3)).toBeNull();
    expect(why('client > server SYN win=64240', 0)).toBeNull();
    expect(why('client > server SYN win<1000', 0)).toBe('win: expected <1000, got 64240');
  });

  it('ack=fin+1 acknowledges the peer\'s FIN: FIN seq + 1', () => {
    expect(why('server > client ACK ack=fin+1', 6)).toBeNull();
    expect(why('client > server ACK ack=fin+1', 8)).toBeNull();
    // the ACK of the client's data is not the ACK of a FIN: the client sent no FIN yet
    expect(why('server > client ACK ack=fin+1', 4)).toBe('ack=fin+1: client sent no FIN before this segment');
  });

  it('ack=fin+1 fails when the ACK acknowledges the FIN\'s own sequence number', () => {
    const s = activeClose();
    s[6] = { ...s[6], rack: 101, ack: s[6].ack - 1 };
    expect(why('server > client ACK ack=fin+1', 6, s)).toBe('ack: expected fin+1 = 102, got 101');
  });

  it('ack=fin+1 needs the ACK flag', () => {
    const s = activeClose();
    s[6] = { ...s[6], flags: 'RST' };
    expect(why('server > client RST ack=fin+1', 6, s)).toBe('ack=fin+1: no ACK flag');
  });

  it('ack=syn+1 acknowledges the peer\'s SYN', () => {
    expect(why('server > client SYN ACK ack=syn+1', 1)).toBeNull();
    expect(why('client > server ACK ack=syn+1', 2)).toBeNull();
    expect(why('client > server SYN ack=syn+1', 0)).toBe('ack=syn+1: server sent no SYN before this segment');
  });

  it('seq=+len continues the sender\'s previous segment: payload, +1 for SYN, +1 for FIN', () => {
    expect(why('client > server ACK seq=+len', 2)).toBeNull(); // after the SYN: 0 + 1
    expect(why('client > server FIN ACK seq=+len', 5)).toBeNull(); // after 100 bytes at 1: 101
    expect(why('client > server ACK seq=+len', 8)).toBeNull(); // after the FIN at 101: 102
    expect(why('client > server SYN seq=+len', 0)).toBe('seq=+len: client sent nothing before this segment');
    const s = activeClose();
    s[5] = { ...s[5], rseq: 100 };
    expect(why('client > server FIN ACK seq=+len', 5, s)).toBe('seq: expected +len = 101, got 100');
  });

  it('ack=+len acknowledges everything the peer sent', () => {
    expect(why('server > client ACK ack=+len', 4)).toBeNull(); // 1 + 100
    expect(why('server > client ACK ack=+len', 6)).toBeNull(); // FIN at 101 → 102
    expect(why('server > client SYN ACK ack=+len', 1)).toBeNull(); // SYN at 0 → 1
    const s = activeClose();
    s[4] = { ...s[4], rack: 51 };
    expect(why('server > client ACK ack=+len', 4, s)).toBe('ack: expected +len = 101, got 51');
  });

  it('references stay within one connection', () => {
    const s = activeClose();
    // a second connection whose server ACKs without having seen a FIN on that connection
    s.push(segment('client', 'server', 'SYN', 0, 0, { conn: 2 }));
    s.push(segment('server', 'client', 'ACK', 0, 1, { conn: 2 }));
    expect(why('server > client ACK ack=fin+1', 10, s)).toBe('ack=fin+1: client sent no FIN before this segment');
    expect(why('server > client ACK ack=syn+1', 10, s)).toBeNull();
  });

  it('options: mss, wscale, ts, sackOK', () => {
    expect(why('client > server SYN mss=1460 wscale=7 ts sackOK', 0)).toBeNull();
    expect(why('client > server SYN mss', 0)).toBeNull();
    expect(why('client > server SYN mss<=1400', 0)).toBe('mss: expected <=1400, got 1460');
    expect(why('client > server SYN mss=536', 0)).toBe('mss: expected 536, got 1460');
    expect(why('client > server SYN wscale>=8', 0)).toBe('wscale: expected >=8, got 7');
    expect(why('client > server SYN mss=none', 0)).toBe('mss: expected no such option, got 1460');
    expect(why('client > server SYN sackOK=none', 0)).toBe('sackOK: expected no such option, got one');
    expect(why('client > server ACK mss=none sackOK=none wscale=none', 2)).toBeNull();
    expect(why('client > server ACK mss', 2)).toBe('mss: expected the option, it is absent');
    expect(why('client > server ACK mss=1460', 2)).toBe('mss: expected =1460, the option is absent');
    expect(why('client > server ACK ts', 2)).toBeNull();
    expect(why('client > server ACK ts=none', 2)).toBe('ts: expected no such option, got one');
  });

  it('opts=[…] is the exact list of option kinds in order, NOPs included', () => {
    expect(why('client > server SYN opts=[mss,sackOK,ts,nop,wscale]', 0)).toBeNull();
    expect(why('client > server SYN opts=[mss,sackOK,ts,wscale]', 0)).toBe('opts: expected [mss,sackOK,ts,wscale], got [mss,sackOK,ts,nop,wscale]');
    expect(why('client > server SYN opts=[mss,ts,sackOK,nop,wscale]', 0)).not.toBeNull();
    expect(why('client > server ACK opts=[nop,nop,ts]', 2)).toBeNull();
    const noOptions = [segment('client', 'server', 'SYN', 0, 0, { options: [] })];
    expect(why('client > server SYN opts=[]', 0, noOptions)).toBeNull();
    expect(why('client > server SYN opts=[]', 0, [segment('client', 'server', 'SYN', 0, 0, { options: SYN_OPTIONS })])).not.toBeNull();
  });

  it('the whole handshake pattern of the catalogue: MSS on SYN and SYN-ACK only', () => {
    const r = match([
      'client > server SYN mss=1460',
      'server > client SYN ACK ack=syn+1 mss=1460',
      'client > server ACK ack=syn+1 mss=none',
      '...',
    ]);
    expect(r.ok).toBe(true);
  });
});

describe('matchStates (exact) and matchSubsequence (ordered)', () => {
  const closer = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'];

  it('exact: equal lists match', () => {
    expect(matchStates(closer, closer)).toEqual({ ok: true, at: -1 });
    expect(matchStates([], [])).toEqual({ ok: true, at: -1 });
  });

  it('exact: the first differing index', () => {
    expect(matchStates(closer, ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT'])).toEqual({ ok: false, at: 3 });
    expect(matchStates(closer, closer.slice(0, 3))).toEqual({ ok: false, at: 3 }); // fewer observed
    expect(matchStates(closer, [...closer, 'CLOSED'])).toEqual({ ok: false, at: 5 }); // more observed
    expect(matchStates(closer, [])).toEqual({ ok: false, at: 0 });
  });

  it('subsequence: in order, others may come between', () => {
    expect(matchSubsequence(['ESTABLISHED', 'TIME_WAIT'], closer)).toEqual({ ok: true, at: -1 });
    expect(matchSubsequence([], closer).ok).toBe(true);
    expect(matchSubsequence(closer, closer).ok).toBe(true);
  });

  it('subsequence: out of order or missing states fail at the first one not reached', () => {
    expect(matchSubsequence(['TIME_WAIT', 'ESTABLISHED'], closer)).toEqual({ ok: false, at: 1 });
    expect(matchSubsequence(['ESTABLISHED', 'CLOSING'], closer)).toEqual({ ok: false, at: 1 });
    expect(matchSubsequence(['ESTABLISHED', 'ESTABLISHED'], closer)).toEqual({ ok: false, at: 1 });
    expect(matchSubsequence(['LISTEN'], [])).toEqual({ ok: false, at: 0 });
  });
});

describe('matchSampled (states seen by sampling: a short state may be unseen)', () => {
  const closer = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'];

  it('exact: unseen expected states are allowed, and named', () => {
    expect(matchSampled(closer, ['ESTABLISHED', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'], true)).toEqual({ ok: true, at: -1, unseen: ['SYN_SENT', 'FIN_WAIT_1'] });
    expect(matchSampled(closer, closer, true)).toEqual({ ok: true, at: -1, unseen: [] });
    expect(matchSampled(['SYN_SENT', 'CLOSED'], ['CLOSED'], true).ok).toBe(true);
  });

  it('exact: a state seen that is not expected, or out of order, fails at that state', () => {
    expect(matchSampled(closer, ['ESTABLISHED', 'CLOSE_WAIT', 'CLOSED'], true)).toMatchObject({ ok: false, at: 1 });
    expect(matchSampled(closer, ['TIME_WAIT', 'ESTABLISHED', 'CLOSED'], true)).toMatchObject({ ok: false, at: 1 });
    expect(matchSampled(['LISTEN'], ['LISTEN', 'CLOSED'], true)).toMatchObject({ ok: false, at: 1 });
  });

  it('the last expected state must be seen', () => {
    expect(matchSampled(closer, ['ESTABLISHED', 'TIME_WAIT'], true)).toMatchObject({ ok: false, at: 2 });
    expect(matchSampled(['LISTEN'], [], true)).toMatchObject({ ok: false, at: 0 });
    expect(matchSampled(['ESTABLISHED', 'TIME_WAIT'], ['ESTABLISHED'], false)).toMatchObject({ ok: false });
  });

  it('pass-through: other states may come between', () => {
    expect(matchSampled(['ESTABLISHED', 'TIME_WAIT'], ['ESTABLISHED', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'], false).ok).toBe(true);
    expect(matchSampled(['FIN_WAIT_1', 'TIME_WAIT'], ['ESTABLISHED', 'TIME_WAIT'], false)).toEqual({ ok: true, at: -1, unseen: ['FIN_WAIT_1'] });
    expect(matchSampled(['TIME_WAIT', 'ESTABLISHED'], ['ESTABLISHED', 'TIME_WAIT'], false).ok).toBe(false);
  });
});

describe('matchSegments: cost', () => {
  // Without memoising failed (pattern, segment) positions the search grows like
  // segments^(number of `...`): this input (8 runs over 400 segments) would not finish
  // within the test's timeout. It must, and with the right answer.
  it('a failing match with many ... over hundreds of segments still ends, with the failure', () => {
    const segments: TraceSegment[] = [];
    for (let i = 0; i < 400; i++) segments.push(segment('client', 'server', 'ACK', 1 + i, 1));
    const patterns: string[] = [];
    for (let k = 0; k < 8; k++) patterns.push('...', 'client > server ACK');
    patterns.push('...', 'server > client FIN ACK');
    const r = match(patterns, segments);
    expect(r.ok).toBe(false);
    expect(r.failure?.pattern).toBe(patterns.length - 1);
  });
});
