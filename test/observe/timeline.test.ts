import { describe, expect, it } from 'vitest';
import { buildHistories, historyAt, needsDiag, tupleKey, type DiagObservation, type History } from '../../harness/observe/timeline.js';
import type { KernelEvent } from '../../harness/observe/events.js';
import type { TcpState } from '../../harness/observe/states.js';
import { A4, A6, fixtureEvents } from './fixtures.js';

type StateEvent = Extract<KernelEvent, { kind: 'state' }>;

const path = (h: History | undefined) => h?.transitions.map((t) => `${t.from}>${t.to}`).join(' ');
const states = (h: History | undefined) => h?.transitions.map((t) => t.to);

function ev(t: number, from: TcpState, to: TcpState, saddr: string, sport: number, daddr: string, dport: number): StateEvent {
  return { kind: 'state', t: BigInt(t), from, to, saddr, sport, daddr, dport };
}

/** The client side of an active close with the port picked at connect(): 5 events. */
function activeCloser(t0: number, port: number, local = '10.0.0.1', remote = '10.0.0.2'): StateEvent[] {
  return [
    ev(t0, 'CLOSED', 'SYN_SENT', local, 0, remote, 80),
    ev(t0 + 10, 'SYN_SENT', 'ESTABLISHED', local, port, remote, 80),
    ev(t0 + 20, 'ESTABLISHED', 'FIN_WAIT_1', local, port, remote, 80),
    ev(t0 + 30, 'FIN_WAIT_1', 'FIN_WAIT_2', local, port, remote, 80),
    ev(t0 + 40, 'FIN_WAIT_2', 'CLOSED', local, port, remote, 80),
  ];
}

describe('tupleKey', () => {
  it('writes local>remote, with * for a wildcard peer', () => {
    expect(tupleKey({ saddr: '10.0.0.1', sport: 5, daddr: '10.0.0.2', dport: 80 })).toBe('10.0.0.1:5>10.0.0.2:80');
    expect(tupleKey({ saddr: '10.0.0.1', sport: 80, daddr: '0.0.0.0', dport: 0 })).toBe('10.0.0.1:80>*');
    expect(tupleKey({ saddr: 'fd00::1', sport: 80, daddr: '::', dport: 0 })).toBe('fd00::1:80>*');
    expect(tupleKey({ saddr: 'fd00::1', sport: 80, daddr: '', dport: 0 })).toBe('fd00::1:80>*');
  });
});

describe('buildHistories from real events', () => {
  const events = fixtureEvents();
  const histories = buildHistories(events);
  const find = (pred: (h: History) => boolean) => histories.filter(pred);

  it('one history per socket: listeners, active sides, passive children', () => {
    // 4 listeners (8080, 8081 in both families; 8082 in IPv4), 8 connections with both sides,
    // 2 refused connects, 2 unanswered SYNs
    const listeners = find((h) => h.key.endsWith('>*'));
    expect(listeners.map((h) => h.key).sort()).toEqual(
      [`${A4}:8080>*`, `${A4}:8081>*`, `${A4}:8082>*`, `${A6}:8080>*`, `${A6}:8081>*`].sort(),
    );
    for (const h of listeners) expect(states(h)).toEqual(['LISTEN', 'CLOSED']);
    expect(histories).toHaveLength(5 + 2 * 5 + 2 + 2);
  });

  it('no history is keyed on port 0: the portless SYN_SENT joins its socket', () => {
    expect(histories.filter((h) => h.tuple.sport === 0)).toEqual([]);
  });

  it('the active closer: SYN_SENT (from the portless event) → … → FIN_WAIT_2 → CLOSED', () => {
    const closers = find((h) => h.tuple.dport === 8080 && h.tuple.sport !== 8080);
    expect(closers).toHaveLength(2);
    for (const h of closers) {
      expect(path(h)).toBe('CLOSED>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT_1 FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>CLOSED');
      const portless = events.find((e) => e.kind === 'state' && e.sport === 0 && e.dport === 8080 && e.saddr === h.tuple.saddr) as StateEvent;
      expect(h.transitions[0].t).toBe(portless.t);
      expect(h.transitions.every((t) => t.source === 'tracepoint')).toBe(true);
    }
  });

  it('the passive child: LISTEN → SYN_RECV → ESTABLISHED → CLOSE_WAIT → LAST_ACK → CLOSED, apart from its listener', () => {
    const children = find((h) => h.tuple.sport === 8080 && h.tuple.dport !== 0);
    expect(children).toHaveLength(2);
    for (const h of children) expect(path(h)).toBe('LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED');
  });

  it('a refused connect: SYN_SENT → CLOSED', () => {
    const refused = find((h) => h.tuple.dport === 9);
    expect(refused.map(path)).toEqual(['CLOSED>SYN_SENT SYN_SENT>CLOSED', 'CLOSED>SYN_SENT SYN_SENT>CLOSED']);
  });

  it('an abortive close: ESTABLISHED → CLOSED on both sides', () => {
    const aborted = find((h) => h.tuple.sport === 8081 && h.tuple.dport !== 0).concat(find((h) => h.tuple.dport === 8081));
    expect(aborted).toHaveLength(4);
    for (const h of aborted) expect(states(h)?.slice(-2)).toEqual(['ESTABLISHED', 'CLOSED']);
  });

  it('ignores events that are not state changes', () => {
    expect(buildHistories(events.filter((e) => e.kind !== 'state'))).toEqual([]);
  });
});

describe('buildHistories: ports and reuse', () => {
  it('pairs portless SYN_SENT events with their sockets by remote address and port', () => {
    const a = activeCloser(100, 5001, '10.0.0.1', '10.0.0.2');
    const b = activeCloser(105, 5002, '10.0.0.1', '10.0.0.3');
    const merged = [a[0], b[0], b[1], a[1], ...a.slice(2), ...b.slice(2)];
    const hs = buildHistories(merged);
    expect(hs).toHaveLength(2);
    const ha = hs.find((h) => h.tuple.sport === 5001)!;
    const hb = hs.find((h) => h.tuple.sport === 5002)!;
    expect(ha.transitions[0].t).toBe(100n);
    expect(hb.transitions[0].t).toBe(105n);
  });

  it('a socket bound before connect reports its port at once: no pairing needed', () => {
    const hs = buildHistories([ev(1, 'CLOSED', 'SYN_SENT', '10.0.0.1', 7000, '10.0.0.2', 80), ev(2, 'SYN_SENT', 'ESTABLISHED', '10.0.0.1', 7000, '10.0.0.2', 80)]);
    expect(hs.map(path)).toEqual(['CLOSED>SYN_SENT SYN_SENT>ESTABLISHED']);
  });

  it('the same 4-tuple used twice gives two histories, and historyAt picks the one alive at the time', () => {
    const first = [ev(10, 'CLOSED', 'SYN_SENT', '10.0.0.1', 7000, '10.0.0.2', 80), ev(11, 'SYN_SENT', 'CLOSED', '10.0.0.1', 7000, '10.0.0.2', 80)];
    const second = [ev(20, 'CLOSED', 'SYN_SENT', '10.0.0.1', 7000, '10.0.0.2', 80), ev(21, 'SYN_SENT', 'ESTABLISHED', '10.0.0.1', 7000, '10.0.0.2', 80)];
    const hs = buildHistories([...first, ...second]);
    expect(hs).toHaveLength(2);
    const key = '10.0.0.1:7000>10.0.0.2:80';
    expect(states(historyAt(hs, key, 10n))).toEqual(['SYN_SENT', 'CLOSED']);
    // the first had ended by 15: a socket that got this tuple then is the next one (sampled histories begin late)
    expect(states(historyAt(hs, key, 15n))).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(states(historyAt(hs, key, 25n))).toEqual(['SYN_SENT', 'ESTABLISHED']);
    expect(states(historyAt(hs, key, 5n))).toEqual(['SYN_SENT', 'CLOSED']); // before both: the first
    expect(historyAt(hs, '10.0.0.9:1>10.0.0.2:80', 25n)).toBeUndefined();
  });

  it('two passive children of one listener are two histories', () => {
    const hs = buildHistories([
      ev(1, 'CLOSED', 'LISTEN', '10.0.0.2', 80, '0.0.0.0', 0),
      ev(2, 'LISTEN', 'SYN_RECV', '10.0.0.2', 80, '10.0.0.1', 5001),
      ev(3, 'LISTEN', 'SYN_RECV', '10.0.0.2', 80, '10.0.0.1', 5002),
      ev(4, 'SYN_RECV', 'ESTABLISHED', '10.0.0.2', 80, '10.0.0.1', 5002),
      ev(5, 'SYN_RECV', 'ESTABLISHED', '10.0.0.2', 80, '10.0.0.1', 5001),
    ]);
    expect(hs.map((h) => [h.key, path(h)])).toEqual([
      ['10.0.0.2:80>*', 'CLOSED>LISTEN'],
      ['10.0.0.2:80>10.0.0.1:5001', 'LISTEN>SYN_RECV SYN_RECV>ESTABLISHED'],
      ['10.0.0.2:80>10.0.0.1:5002', 'LISTEN>SYN_RECV SYN_RECV>ESTABLISHED'],
    ]);
  });
});

describe('buildHistories: TIME_WAIT from sock_diag', () => {
  const events = activeCloser(1000, 5001);
  const key = '10.0.0.1:5001>10.0.0.2:80';
  const swapAt = 1040n;

  it('needsDiag: only FIN_WAIT_2 → CLOSED and CLOSING → CLOSED', () => {
    expect(events.map(needsDiag)).toEqual([false, false, false, false, true]);
    expect(needsDiag(ev(1, 'CLOSING', 'CLOSED', 'a', 1, 'b', 2))).toBe(true);
    expect(needsDiag(ev(1, 'LAST_ACK', 'CLOSED', 'a', 1, 'b', 2))).toBe(false);
    expect(needsDiag({ kind: 'destroy', t: 1n, saddr: 'a', sport: 1, daddr: 'b', dport: 2 })).toBe(false);
  });

  it('without sock_diag the tracepoint\'s FIN_WAIT_2 → CLOSED stands', () => {
    expect(path(buildHistories(events)[0])).toMatch(/FIN_WAIT_2>CLOSED$/);
  });

  it('a TIME_WAIT minisock seen at the swap turns FIN_WAIT_2 → CLOSED into FIN_WAIT_2 → TIME_WAIT (source sock_diag)', () => {
    const diag: DiagObservation[] = [{ t: swapAt, key, state: 'TIME_WAIT' }];
    const h = buildHistories(events, diag)[0];
    expect(states(h)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(h.transitions[4]).toEqual({ t: swapAt, from: 'FIN_WAIT_2', to: 'TIME_WAIT', source: 'sock_diag' });
    expect(h.transitions.slice(0, 4).every((t) => t.source === 'tracepoint')).toBe(true);
  });

  it('… and when the minisock is gone later: TIME_WAIT → CLOSED at that time', () => {
    const diag: DiagObservation[] = [
      { t: swapAt, key, state: 'TIME_WAIT' },
      { t: 60_000_001_040n, key, state: 'gone' },
    ];
    const h = buildHistories(events, diag)[0];
    expect(states(h)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(h.transitions[5]).toEqual({ t: 60_000_001_040n, from: 'TIME_WAIT', to: 'CLOSED', source: 'sock_diag' });
  });

  it('an orphaned FIN_WAIT_2 minisock stays FIN_WAIT_2 until it is gone', () => {
    const stillThere = buildHistories(events, [{ t: swapAt, key, state: 'FIN_WAIT_2' }])[0];
    expect(states(stillThere)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2']);
    const gone = buildHistories(events, [
      { t: swapAt, key, state: 'FIN_WAIT_2' },
      { t: swapAt + 5_000_000_000n, key, state: 'gone' },
    ])[0];
    expect(path(gone)).toMatch(/FIN_WAIT_1>FIN_WAIT_2 FIN_WAIT_2>CLOSED$/);
    expect(gone.transitions[4].source).toBe('sock_diag');
  });

  it('an orphaned FIN_WAIT_2 minisock that receives the peer\'s FIN: FIN_WAIT_2 → TIME_WAIT → CLOSED, at the times sock_diag saw them', () => {
    const h = buildHistories(events, [
      { t: swapAt, key, state: 'FIN_WAIT_2' },
      { t: swapAt + 300n, key, state: 'TIME_WAIT' },
      { t: swapAt + 60_000_000_000n, key, state: 'gone' },
    ])[0];
    expect(h.transitions.slice(3)).toEqual([
      { t: 1030n, from: 'FIN_WAIT_1', to: 'FIN_WAIT_2', source: 'tracepoint' },
      { t: swapAt + 300n, from: 'FIN_WAIT_2', to: 'TIME_WAIT', source: 'sock_diag' },
      { t: swapAt + 60_000_000_000n, from: 'TIME_WAIT', to: 'CLOSED', source: 'sock_diag' },
    ]);
  });

  it('repeated sightings of the same minisock state add nothing', () => {
    const h = buildHistories(events, [
      { t: swapAt, key, state: 'TIME_WAIT' },
      { t: swapAt + 1n, key, state: 'TIME_WAIT' },
      { t: swapAt + 2n, key, state: 'TIME_WAIT' },
    ])[0];
    expect(states(h)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  });

  it('simultaneous close: CLOSING → CLOSED becomes CLOSING → TIME_WAIT', () => {
    const sim = [
      ...events.slice(0, 3),
      ev(1030, 'FIN_WAIT_1', 'CLOSING', '10.0.0.1', 5001, '10.0.0.2', 80),
      ev(1040, 'CLOSING', 'CLOSED', '10.0.0.1', 5001, '10.0.0.2', 80),
    ];
    const h = buildHistories(sim, [{ t: swapAt, key, state: 'TIME_WAIT' }])[0];
    expect(path(h)).toMatch(/FIN_WAIT_1>CLOSING CLOSING>TIME_WAIT$/);
  });

  it('no minisock (tcp_max_tw_buckets=0): the socket really went FIN_WAIT_2 → CLOSED', () => {
    const h = buildHistories(events, [{ t: swapAt, key, state: 'gone' }])[0];
    expect(path(h)).toMatch(/FIN_WAIT_2>CLOSED$/);
    expect(h.transitions[4].source).toBe('tracepoint');
  });

  it('observations of another socket, or from before the swap, are not used', () => {
    expect(path(buildHistories(events, [{ t: swapAt, key: '10.0.0.1:5002>10.0.0.2:80', state: 'TIME_WAIT' }])[0])).toMatch(/FIN_WAIT_2>CLOSED$/);
    expect(path(buildHistories(events, [{ t: swapAt - 1n, key, state: 'TIME_WAIT' }])[0])).toMatch(/FIN_WAIT_2>CLOSED$/);
  });

  it('sockets that did not end in FIN_WAIT_2/CLOSING → CLOSED are left alone', () => {
    const peer = [
      ev(1, 'LISTEN', 'SYN_RECV', '10.0.0.2', 80, '10.0.0.1', 5001),
      ev(2, 'SYN_RECV', 'ESTABLISHED', '10.0.0.2', 80, '10.0.0.1', 5001),
      ev(3, 'ESTABLISHED', 'CLOSE_WAIT', '10.0.0.2', 80, '10.0.0.1', 5001),
      ev(4, 'CLOSE_WAIT', 'LAST_ACK', '10.0.0.2', 80, '10.0.0.1', 5001),
      ev(5, 'LAST_ACK', 'CLOSED', '10.0.0.2', 80, '10.0.0.1', 5001),
    ];
    const h = buildHistories(peer, [{ t: 5n, key: '10.0.0.2:80>10.0.0.1:5001', state: 'TIME_WAIT' }])[0];
    expect(states(h)).toEqual(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('the real fixture\'s closers, with TIME_WAIT seen at the swap, end in TIME_WAIT', () => {
    const real = fixtureEvents();
    const swaps = real.filter(needsDiag);
    expect(swaps.length).toBeGreaterThanOrEqual(2);
    const diag = swaps.map((e) => ({ t: e.t, key: tupleKey(e), state: 'TIME_WAIT' as const }));
    for (const e of swaps) {
      const h = buildHistories(real, diag).find((x) => x.key === tupleKey(e))!;
      expect(states(h)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    }
  });
});
