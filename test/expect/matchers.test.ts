import { describe, expect, it } from 'vitest';
import { matchSegments, parsePatterns, PatternError, registerSubject, segmentLine, sideBySide } from '../../harness/expect/index.js';
import type { TraceSegment, TraceTransition } from '../../harness/trace/types.js';
import { InputError } from '../../harness/input-error.js';
import { activeClose } from './fixtures.js';

const PCAP = '/tmp/tcpladder-test/run/case-ipv4/wire.pcap';
const LADDER = '   client                server\n   ───SYN──────────────▶';

/** A stand-in for a case's wire: the segments seen so far, and a way to add more later. */
function fakeWire(initial: TraceSegment[], captured: TraceSegment[] = []) {
  const segments = [...initial];
  const waiters: (() => void)[] = [];
  const wire = {};
  registerSubject(wire, {
    kind: 'segments',
    hosts: () => ['client', 'server'],
    segments: () => segments,
    // frames the capture holds but has not streamed yet: they arrive only once asked for
    caughtUp: async () => {
      await new Promise((r) => setTimeout(r, 50));
      segments.push(...captured.splice(0));
    },
    changed: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    pcap: PCAP,
    ladder: () => LADDER,
  });
  return {
    wire,
    push(s: TraceSegment) {
      segments.push(s);
      for (const w of waiters.splice(0)) w();
    },
  };
}

function fakeSocket(states: string[], label = 'client#1 (client)') {
  const transitions: TraceTransition[] = [];
  let from = 'CLOSED';
  for (const [i, to] of states.entries()) {
    transitions.push({ t: 0.001 * (i + 1), from, to, source: to === 'TIME_WAIT' ? 'sock_diag' : 'tracepoint' });
    from = to;
  }
  const sock = { transitions };
  registerSubject(sock, { kind: 'states', label, transitions: async () => transitions, ladder: () => LADDER, pcap: PCAP });
  return sock;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

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

describe('segmentLine', () => {
  it('writes one observed segment like a pattern, with relative numbers and options', () => {
    const [syn, synAck, ack, data] = activeClose();
    expect(segmentLine(syn)).toBe('client > server SYN seq=0 win=64240 <mss=1460,sackOK,ts,wscale=7>');
    expect(segmentLine(synAck)).toBe('server > client SYN ACK seq=0 ack=1 win=65160 <mss=1460,sackOK,ts,wscale=7>');
    expect(segmentLine(ack)).toBe('client > server ACK seq=1 ack=1 win=502 <ts>');
    expect(segmentLine(data)).toBe('client > server PSH ACK seq=1 ack=1 len=100 win=502 <ts>');
  });
});

describe('sideBySide', () => {
  it('puts expected beside observed and marks the first mismatch with its reason', () => {
    const patterns = parsePatterns(['client > server SYN', 'server > client SYN ACK', 'client > server RST', '...']);
    const segments = activeClose();
    const text = sideBySide(patterns, segments, matchSegments(patterns, segments));
    const rows = text.split('\n');
    expect(rows[0]).toMatch(/^\s+expected\s+observed$/);
    expect(rows[1]).toMatch(/^\s+1 {2}client > server SYN\s+client > server SYN seq=0/);
    expect(rows[2]).toMatch(/^\s+2 {2}server > client SYN ACK\s+server > client SYN ACK seq=0 ack=1/);
    expect(rows[3]).toMatch(/^\s+3 {2}client > server RST\s+✗ client > server ACK seq=1 ack=1 .* ← flags: expected RST, got ACK$/);
    expect(rows[4]).toMatch(/^\s+4 {2}\.\.\.\s+…?$/);
    // observed segments start in one column on every row; ✗ sits in the gutter before it
    const col = rows[1].indexOf('client > server SYN seq=0');
    expect(rows[2].indexOf('server > client SYN ACK seq=0')).toBe(col);
    expect(rows[3].indexOf('client > server ACK seq=1')).toBe(col);
    expect(rows[3].indexOf('✗')).toBe(col - 2);
  });

  it('shows a pattern with nothing to match as ✗ (nothing)', () => {
    const patterns = parsePatterns([...FULL, 'client > server RST']);
    const segments = activeClose();
    const text = sideBySide(patterns, segments, matchSegments(patterns, segments));
    expect(text.split('\n')[10]).toMatch(/^\s+10 {2}client > server RST\s+✗ \(nothing\) {3}← no such segment was seen$/);
  });

  it('lists segments nobody expected', () => {
    const patterns = parsePatterns(FULL.slice(0, 7));
    const segments = activeClose();
    const rows = sideBySide(patterns, segments, matchSegments(patterns, segments)).split('\n');
    expect(rows).toHaveLength(1 + 7 + 2);
    expect(rows[8]).toMatch(/^\s+✗ server > client FIN ACK seq=1 ack=102 .* ← not expected$/);
    expect(rows[9]).toMatch(/^\s+✗ client > server ACK seq=102 ack=2 .* ← not expected$/);
  });

  it('shows … for a ... that matched', () => {
    const patterns = parsePatterns(['client > server SYN', '...', 'server > client RST']);
    const segments = activeClose();
    const rows = sideBySide(patterns, segments, matchSegments(patterns, segments)).split('\n');
    expect(rows[2]).toMatch(/^\s+2 {2}\.\.\.\s+…$/);
  });
});

describe('toHaveSegments', () => {
  it('passes on a matching wire', async () => {
    await expect(fakeWire(activeClose()).wire).toHaveSegments(FULL, { within: 0 });
    await expect(fakeWire(activeClose()).wire).toHaveSegments([{ from: 'client', to: 'server', flags: 'SYN', mss: 1460 }, '...'], { within: 0 });
  });

  it('waits for segments that are still on their way', async () => {
    const all = activeClose();
    const w = fakeWire(all.slice(0, 5));
    setTimeout(() => all.slice(5).forEach((s) => w.push(s)), 100);
    const t = Date.now();
    await expect(w.wire).toHaveSegments(FULL, { within: 2000 });
    expect(Date.now() - t).toBeLessThan(1500);
  });

  it('judges what the capture holds by now before it waits: a lagging stream does not eat into `within`', async () => {
    const all = activeClose();
    // with `within: 0` only the frames streamed so far would be judged, and the match would fail
    await expect(fakeWire(all.slice(0, 3), all.slice(3)).wire).toHaveSegments(FULL, { within: 0 });
    await expect(fakeWire(all.slice(0, 3), all.slice(3, 5)).wire).not.toHaveSegments(FULL);
  });

  it('gives up after `within` ms', async () => {
    const t = Date.now();
    await failure(expect(fakeWire(activeClose().slice(0, 5)).wire).toHaveSegments(FULL, { within: 300 }));
    expect(Date.now() - t).toBeGreaterThanOrEqual(280);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('fails with expected and observed side by side, the ladder and the pcap', async () => {
    const wrong = [...FULL];
    wrong[6] = 'server > client ACK ack=102 win=9999';
    const msg = await failure(expect(fakeWire(activeClose()).wire).toHaveSegments(wrong, { within: 0 }));
    expect(msg).toContain('the wire does not match: pattern 7: win: expected 9999, got 502');
    expect(msg).toMatch(/expected\s+observed/);
    expect(msg).toMatch(/ 7 {2}server > client ACK ack=102 win=9999\s+✗ server > client ACK seq=1 ack=102 win=502 <ts> {3}← win: expected 9999, got 502/);
    expect(msg).toMatch(/ 6 {2}client > server FIN ACK\s+client > server FIN ACK seq=101 ack=1/);
    expect(msg).toContain(`observed ladder:\n${LADDER}`);
    expect(msg).toContain(`pcap: ${PCAP}`);
  });

  it('.not passes when the wire does not match and fails when it does', async () => {
    await expect(fakeWire(activeClose()).wire).not.toHaveSegments(['client > server RST']);
    const msg = await failure(expect(fakeWire(activeClose()).wire).not.toHaveSegments(['...']));
    expect(msg).toContain(PCAP);
  });

  it('a bad pattern fails with the pattern error, not a mismatch', async () => {
    const err = await expect(fakeWire(activeClose()).wire).toHaveSegments(['client > server SYN', 'client > server SYM'], { within: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PatternError);
    expect((err as PatternError).message).toContain('segment pattern 2');
  });

  it('refuses something that is not a wire', async () => {
    await expect(expect({}).toHaveSegments(['...'])).rejects.toThrow(InputError);
    await expect(expect(fakeSocket(['SYN_SENT'])).toHaveSegments(['...'])).rejects.toThrow(/needs the case's `wire`/);
  });
});

describe('toHaveStates', () => {
  const closer = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'];

  it('passes on the exact list', async () => {
    await expect(fakeSocket(closer)).toHaveStates(closer, { within: 0 });
  });

  it('fails on a subsequence, a longer list or a different state, with both columns and the ✗ row', async () => {
    const sock = fakeSocket(closer);
    await failure(expect(sock).toHaveStates(['SYN_SENT', 'ESTABLISHED'], { within: 0 }));
    await failure(expect(sock).toHaveStates([...closer, 'CLOSED'], { within: 0 }));
    const msg = await failure(expect(sock).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT'], { within: 0 }));
    expect(msg).toContain('client#1 (client): states differ at 4');
    expect(msg).toMatch(/expected\s+observed/);
    expect(msg).toMatch(/ ✗ {2}4 CLOSING\s+FIN_WAIT_2 {2}\(FIN_WAIT_1 → FIN_WAIT_2 at 0\.004 s, tracepoint\)/);
    expect(msg).toMatch(/\n {4}5 TIME_WAIT\s+TIME_WAIT {2}\(FIN_WAIT_2 → TIME_WAIT at 0\.005 s, sock_diag\)/);
    expect(msg).toContain(`observed ladder:\n${LADDER}`);
    expect(msg).toContain(`pcap: ${PCAP}`);
  });

  it('shows (nothing) where one side is shorter', async () => {
    const msg = await failure(expect(fakeSocket(['SYN_SENT'])).toHaveStates(['SYN_SENT', 'ESTABLISHED'], { within: 0 }));
    expect(msg).toMatch(/ ✗ {2}2 ESTABLISHED\s+\(nothing\)/);
  });

  it('rejects unknown state names', async () => {
    await expect(expect(fakeSocket(closer)).toHaveStates(['SYN_SENT', 'FIN_WAIT1'])).rejects.toThrow(/state 2 "FIN_WAIT1" is not one of/);
    await expect(expect(fakeSocket(closer)).toHaveStates('SYN_SENT' as never)).rejects.toThrow(InputError);
  });

  it('refuses something that is not a socket', async () => {
    await expect(expect(fakeWire([]).wire).toHaveStates(['SYN_SENT'])).rejects.toThrow(/needs a socket made by a case host/);
  });

  it("says which guest did not answer when last asked for its states, and why", async () => {
    const transitions: TraceTransition[] = [
      { t: 0.001, from: 'CLOSED', to: 'SYN_RECV', source: 'sampled' },
      { t: 0.002, from: 'SYN_RECV', to: 'ESTABLISHED', source: 'sampled' },
    ];
    const why = 'the uml guest 1 (host server) did not answer "sample" within 5 s';
    const sock = {};
    registerSubject(sock, { kind: 'states', label: 's', transitions: async () => transitions, ladder: () => '', pcap: PCAP, unanswered: () => [why] });
    const message = await failure(expect(sock).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSED'], { within: 0 }));
    expect(message).toContain(`states may be incomplete: asked for its states, ${why}`);
  });

  it('waits for transitions still to come', async () => {
    const transitions: TraceTransition[] = [{ t: 0, from: 'CLOSED', to: 'SYN_SENT', source: 'tracepoint' }];
    const sock = {};
    registerSubject(sock, { kind: 'states', label: 's', transitions: async () => transitions, ladder: () => '', pcap: PCAP });
    setTimeout(() => transitions.push({ t: 0.1, from: 'SYN_SENT', to: 'ESTABLISHED', source: 'tracepoint' }), 100);
    await expect(sock).toHaveStates(['SYN_SENT', 'ESTABLISHED'], { within: 2000 });
  });

  describe('on a stack that shows a socket only while its descriptor is held (gVisor)', () => {
    function descriptorSocket(states: string[], closed: boolean) {
      const transitions: TraceTransition[] = states.map((to, i) => ({ t: 0.001 * (i + 1), from: i ? states[i - 1]! : 'CLOSED', to, source: 'sampled' }));
      const looks = { n: 0 };
      const sock = {};
      registerSubject(sock, {
        kind: 'states',
        label: 's',
        transitions: async () => (looks.n++, transitions),
        ladder: () => '',
        pcap: PCAP,
        visibility: () => ({ view: 'descriptors', closed, accepted: false, stack: 'gvisor' }),
      });
      return { sock, looks };
    }
    const closer = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'];

    it('decides "not observable" at once for a closed socket, without waiting out `within`', async () => {
      const { sock, looks } = descriptorSocket(['SYN_SENT', 'ESTABLISHED'], true);
      await expect(sock).toHaveStates(closer, { within: 3000 });
      await expect(sock).toPassThrough(['ESTABLISHED', 'TIME_WAIT'], { within: 3000 });
      // one look each: the states of a closed socket there are all in
      expect(looks.n).toBe(2);
    });

    it('waits for a socket still open: its states can still come', async () => {
      const { sock, looks } = descriptorSocket(['SYN_SENT', 'ESTABLISHED'], false);
      await failure(expect(sock).toHaveStates(closer, { within: 300 }));
      expect(looks.n).toBeGreaterThan(2);
    });

    it('still fails at once on a state out of order', async () => {
      const { sock } = descriptorSocket(['ESTABLISHED', 'SYN_SENT'], true);
      expect(await failure(expect(sock).toHaveStates(closer, { within: 300 }))).toMatch(/states differ/);
    });
  });
});

describe('toPassThrough', () => {
  const peer = ['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'];

  it('passes on an ordered subsequence', async () => {
    await expect(fakeSocket(peer)).toPassThrough(['ESTABLISHED', 'LAST_ACK'], { within: 0 });
    await expect(fakeSocket(peer)).toPassThrough(peer, { within: 0 });
  });

  it('fails naming the first state never reached, with the ladder', async () => {
    const msg = await failure(expect(fakeSocket(peer)).toPassThrough(['ESTABLISHED', 'TIME_WAIT'], { within: 0 }));
    expect(msg).toContain('client#1 (client): never reached TIME_WAIT (expected in order: ESTABLISHED → TIME_WAIT)');
    expect(msg).toContain(`observed ladder:\n${LADDER}`);
  });

  it('its failure names the pcap like the other matchers', async () => {
    const msg = await failure(expect(fakeSocket(peer)).toPassThrough(['TIME_WAIT'], { within: 0 }));
    expect(msg).toContain(`pcap: ${PCAP}`);
  });

  it('.not', async () => {
    await expect(fakeSocket(peer)).not.toPassThrough(['TIME_WAIT']);
    await failure(expect(fakeSocket(peer)).not.toPassThrough(['CLOSE_WAIT']));
  });
});

describe('toFailWith', () => {
  const rejectWith = (code: string) => Promise.reject(Object.assign(new Error(`read: ${code}`), { code }));

  it('passes when the call fails with that errno name', async () => {
    await expect(rejectWith('ECONNRESET')).toFailWith('ECONNRESET');
  });

  it('fails when the call fails otherwise', async () => {
    const msg = await failure(expect(rejectWith('EPIPE')).toFailWith('ECONNRESET'));
    expect(msg).toBe('expected the call to fail with ECONNRESET, it failed with EPIPE');
  });

  it('fails when the call succeeds, saying with what', async () => {
    expect(await failure(expect(Promise.resolve(Buffer.alloc(5))).toFailWith('ECONNRESET'))).toBe('expected the call to fail with ECONNRESET, it succeeded with 5 bytes');
    expect(await failure(expect(Promise.resolve(undefined)).toFailWith('ECONNREFUSED'))).toContain('it succeeded');
  });

  it('an error without a code is compared by its message', async () => {
    const msg = await failure(expect(Promise.reject(new Error('boom'))).toFailWith('ECONNRESET'));
    expect(msg).toContain('it failed with boom');
  });

  it('.not', async () => {
    await expect(rejectWith('EPIPE')).not.toFailWith('ECONNRESET');
    await failure(expect(rejectWith('EPIPE')).not.toFailWith('EPIPE'));
  });

  it('needs a promise', async () => {
    await expect(expect(42).toFailWith('EPIPE')).rejects.toThrow(InputError);
  });
});
