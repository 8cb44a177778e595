/** The normaliser: what stays (the stack's behaviour), what goes (run-to-run noise), on recorded and hand-made traces. */
import { describe, expect, it } from 'vitest';
import { normaliseCase, normaliseSegments, compareCases } from '../../harness/diff/index.js';
import { EndpointNames } from '../../harness/diff/endpoint-names.js';
import { optionsText } from '../../harness/diff/options-text.js';
import { measureTimers } from '../../harness/diff/timers.js';
import { recordedTrace, seg, trace, HOSTS } from './fixtures.js';

const TS = { kind: 8, name: 'ts', length: 10, tsval: 123456, tsecr: 654321 };
const NOP = { kind: 1, name: 'nop', length: 1 };

describe('recorded runs of the same case normalise to the same entry', () => {
  it('half-close: the FIN rode on the last data segment in one run and went alone in the other', () => {
    const a = recordedTrace('half-close-ipv4-a');
    const b = recordedTrace('half-close-ipv4-b');
    const finA = a.segments.find((s) => s.from === 'server' && s.flags.includes('FIN'))!;
    const finB = b.segments.find((s) => s.from === 'server' && s.flags.includes('FIN'))!;
    expect([finA.len, finB.len]).toEqual([1040, 0]); // the raw traces differ
    expect(a.segments.length).not.toBe(b.segments.length);

    const na = normaliseCase(a);
    expect(normaliseCase(b)).toEqual(na);
    // the handshake's ACK and the ACK of the client's FIN are left out: the next segment of the same sender carries them
    expect(na.segments.map((s) => `${s.from} ${s.flags} ${s.seq} ${s.len}${s.data ? ` data max ${s.data.maxLen}` : ''}`)).toEqual([
      'client SYN 0 0',
      'server SYN ACK 0 0',
      'client FIN ACK 1 0',
      'server ACK 1 102400 data max 1448',
      'server FIN ACK 102401 0',
      'client ACK 2 0',
    ]);
  });

  it('SO_LINGER with every ACK lost: probes raced close() differently, the retransmission timer did not', () => {
    const a = recordedTrace('linger-acks-lost-ipv6-a');
    const b = recordedTrace('linger-acks-lost-ipv6-b');
    const quick = (t: typeof a) => t.segments.filter((s) => s.marks?.includes('retransmission')).map((s) => s.rseq);
    expect(quick(a)).not.toEqual(quick(b)); // A probed with the FIN, B with the last data segment
    const na = normaliseCase(a);
    const nb = normaliseCase(b);
    expect(nb.segments).toEqual(na.segments);
    expect(Object.keys(nb.timers)).toEqual(Object.keys(na.timers));
    expect(na.timers['conn 1 client > server ACK seq=1 retransmission 2']).toBe(452);
    expect(compareCases(na, nb)).toEqual([]); // timers within tolerance
  });

  it('lost final ACK: the FIN retransmitted by the timer stays, with its interval, and the ACK from TIME_WAIT', () => {
    const na = normaliseCase(recordedTrace('lost-final-ack-ipv4-a'));
    const nb = normaliseCase(recordedTrace('lost-final-ack-ipv4-b'));
    expect(na.segments.slice(-3).map((s) => `${s.from} ${s.flags}${s.marks ? ` [${s.marks}]` : ''}`)).toEqual([
      'client ACK [dropped]',
      'server FIN ACK [retransmission]',
      'client ACK',
    ]);
    expect(na.timers).toEqual({ 'conn 1 server > client FIN ACK seq=1 retransmission 1': 184 });
    expect(nb.timers).toEqual({ 'conn 1 server > client FIN ACK seq=1 retransmission 1': 209 });
    expect(compareCases(na, nb)).toEqual([]);
  });

  it.each([
    ['simultaneous-open-ipv4', 'the two SYN-ACKs captured in either order; a bare ACK sent or carried by the data'],
    ['data-after-close-ipv4', 'the ACK of the FIN sent alone or carried by the data that followed'],
    ['linger-acks-lost-stall-ipv4', 'a busy relay stamped a burst of frames 340 ms late'],
  ])('%s: %s', (name) => {
    const a = recordedTrace(`${name}-a`);
    const b = recordedTrace(`${name}-b`);
    expect(JSON.stringify(a.segments.map((s) => [s.from, s.flags, s.rseq, s.rack]))).not.toBe(JSON.stringify(b.segments.map((s) => [s.from, s.flags, s.rseq, s.rack])));
    expect(compareCases(normaliseCase(a), normaliseCase(b))).toEqual([]);
  });

  it('keeps no address, port, ISN or absolute time', () => {
    const raw = recordedTrace('half-close-ipv4-a');
    const text = JSON.stringify(normaliseCase(raw));
    for (const h of raw.hosts) {
      expect(text).not.toContain(h.ipv4);
      expect(text).not.toContain(h.ipv6);
    }
    const syn = raw.segments[0];
    expect(text).not.toContain(String(syn.sport));
    expect(text).not.toContain(String(syn.seq));
    expect(text).not.toContain(raw.startedAt);
  });
});

describe('segments', () => {
  it('keeps SYN, FIN, RST, the last ACK of a SYN or FIN, zero-window ACKs and marked segments; drops other bare ACKs', () => {
    const out = normaliseSegments([
      seg('client', 'SYN', 0, 0),
      seg('server', 'SYN ACK', 0, 1),
      seg('client', 'ACK', 1, 1), // acknowledges the SYN-ACK, but so does the data that follows
      seg('client', 'PSH ACK', 1, 1, { len: 100 }),
      seg('server', 'ACK', 1, 101), // a bare ACK of data
      seg('server', 'ACK', 1, 101, { win: 0 }), // closes the window
      seg('client', 'ACK', 100, 1, { marks: ['keep-alive'] }), // window probe
      seg('server', 'ACK', 1, 101, { marks: ['dropped'] }), // a dropped bare ACK of data: still timing
      seg('client', 'FIN ACK', 101, 1),
      seg('server', 'ACK', 1, 102), // acknowledges the FIN, and nothing from the server follows
    ]);
    expect(out.map((s) => `${s.from} ${s.flags} ${s.seq}${s.win !== undefined ? ` win=${s.win}` : ''}`)).toEqual([
      'client SYN 0 win=500',
      'server SYN ACK 0 win=500',
      'client ACK 1',
      'server ACK 1 win=0',
      'client ACK 100',
      'client FIN ACK 101',
      'server ACK 1',
    ]);
    expect(out[2]).toMatchObject({ len: 100, data: { maxLen: 100 } });
  });

  it('leaves out a bare ACK that the same sender’s next segment acknowledges again: delayed ACK or piggyback is timing', () => {
    const close = (separateAck: boolean) =>
      normaliseSegments([
        seg('server', 'FIN ACK', 1, 1),
        ...(separateAck ? [seg('client', 'ACK', 1, 2)] : []),
        seg('client', 'FIN ACK', 1, 2),
        seg('server', 'ACK', 2, 2),
      ]);
    expect(close(true)).toEqual(close(false));
    expect(close(true).map((s) => `${s.from} ${s.flags}`)).toEqual(['server FIN ACK', 'client FIN ACK', 'server ACK']);
  });

  it('puts mirror-image segments sent at the same moment in host order, and nothing else', () => {
    const fins = [seg('client', 'FIN ACK', 1, 1, { marks: ['held'] }), seg('server', 'FIN ACK', 1, 1)];
    const acks = (serverFirst: boolean) => (serverFirst ? [seg('server', 'ACK', 2, 2), seg('client', 'ACK', 2, 2)] : [seg('client', 'ACK', 2, 2), seg('server', 'ACK', 2, 2)]);
    const order = (serverFirst: boolean) => normaliseSegments([...fins, ...acks(serverFirst)], { hostOrder: ['client', 'server'] }).map((s) => `${s.from} ${s.flags}`);
    expect(order(true)).toEqual(['client FIN ACK', 'server FIN ACK', 'client ACK', 'server ACK']);
    expect(order(false)).toEqual(order(true));
    expect(normaliseSegments([...fins, ...acks(true)], { hostOrder: ['client', 'server'], captureOrder: true }).map((s) => s.from).slice(2)).toEqual(['server', 'client']);
    // a window probe and its answer are not a mirror pair: the capture's order stays
    const probe = [seg('server', 'ACK', 99, 1, { marks: ['keep-alive'] }), seg('client', 'ACK', 1, 100, { win: 0 })];
    expect(normaliseSegments(probe, { hostOrder: ['client', 'server'] }).map((s) => s.from)).toEqual(['server', 'client']);
  });

  it('makes one block of a direction’s data across the ACKs between, split by control segments', () => {
    const out = normaliseSegments([
      seg('client', 'ACK', 1, 1, { len: 1000 }),
      seg('server', 'ACK', 1, 1001),
      seg('client', 'PSH ACK', 1001, 1, { len: 500 }),
      seg('client', 'ACK', 1501, 1, { len: 1000, marks: ['out-of-order'] }),
      seg('client', 'ACK', 2501, 1, { len: 20 }),
    ]);
    expect(out.map((s) => [s.seq, s.len, s.data ?? null, s.flags])).toEqual([
      [1, 1500, { maxLen: 1000 }, 'ACK'],
      [1501, 1000, null, 'ACK'],
      [2501, 20, { maxLen: 20 }, 'ACK'],
    ]);
  });

  it('times retransmissions with the kernel’s events when each retransmitted segment has one', () => {
    const original = seg('client', 'PSH ACK', 1, 1, { len: 10, t: 1 });
    const late = seg('client', 'PSH ACK', 1, 1, { len: 10, t: 1.3, marks: ['retransmission'] }); // stamped late by a busy relay
    const tuple = `${original.src}:${original.sport}>${original.dst}:${original.dport}`;
    const kernel = [{ t: 1.024, kind: 'retransmit', tuple, state: 'ESTABLISHED' }];
    expect(normaliseSegments([original, late], { kernelEvents: kernel }).map((s) => s.marks ?? [])).toEqual([[]]); // a 24 ms probe
    expect(normaliseSegments([original, late]).map((s) => s.marks ?? [])).toEqual([[], ['retransmission']]); // no events: the capture's 300 ms
    const unpaired = [...kernel, { t: 1.5, kind: 'retransmit', tuple, state: 'ESTABLISHED' }];
    expect(normaliseSegments([original, late], { kernelEvents: unpaired })).toHaveLength(2); // two events, one segment: not trusted
  });

  it('a SYN-ACK is not a retransmission of a SYN (simultaneous open)', () => {
    const out = normaliseSegments([seg('client', 'SYN', 0, 0), seg('client', 'SYN ACK', 0, 1, { t: 0.0011, marks: ['retransmission'] })]);
    expect(out.map((s) => s.flags)).toEqual(['SYN', 'SYN ACK']);
  });

  it('leaves out retransmissions sooner than 120 ms, keeps later ones', () => {
    const first = seg('client', 'SYN', 0, 0, { t: 1 });
    const probe = seg('client', 'SYN', 0, 0, { t: 1.05, marks: ['retransmission'] });
    const timer = seg('client', 'SYN', 0, 0, { t: 2.05, marks: ['retransmission'] });
    const out = normaliseSegments([first, probe, timer]);
    expect(out.map((s) => s.marks ?? [])).toEqual([[], ['retransmission']]);
    expect(measureTimers(trace([first, probe, timer]), new EndpointNames(HOSTS, []))).toEqual({ 'conn 1 client > server SYN seq=0 retransmission 1': 1000 });
  });
});

describe('options', () => {
  it('keeps kinds in order and the values that describe the stack; timestamps and SACK blocks go', () => {
    expect(
      optionsText([
        { kind: 2, name: 'mss', length: 4, mss: 1460 },
        { kind: 4, name: 'sackOK', length: 2 },
        TS,
        NOP,
        { kind: 3, name: 'wscale', length: 3, wscale: 7 },
      ]),
    ).toBe('mss 1460,sackOK,ts,nop,wscale 7');
    expect(optionsText([NOP, NOP, TS, NOP, NOP, { kind: 5, name: 'sack', length: 10, sack: [1, 2] }])).toBe('nop,nop,ts');
    expect(optionsText([{ kind: 34, name: 'fastopen', length: 10, raw: 'aabbccddeeff0011' }, { kind: 99, name: 'unknown', length: 4, raw: '0000' }])).toBe('fastopen/10,kind99/4');
  });
});

describe('socket outcomes', () => {
  it('keeps socket calls in the order made; leaves out programs, hosts and Node’s last close event', () => {
    const call = (socket: string, name: string, result: string, t: number, args?: string) => ({ t, ms: 1, host: 'client', socket, call: name, result, ...(args ? { args } : {}) });
    const c = normaliseCase(
      trace([], {
        calls: [
          call('client#1 (node)', "'end'", 'EOF', 3),
          call('client#1 (node)', 'net.connect', 'ok', 1, '198.18.7.2:8080'),
          call('client#1 (node)', "'close'", 'ok', 4),
          call('node', 'spawn', 'pid 4242', 0, '/usr/bin/node server.mjs'),
          call('client', 'crash', 'ok', 5),
        ],
      }),
    );
    expect(c.sockets).toEqual([{ label: 'client#1 (node)', host: 'client', local: null, remote: null, states: [], calls: ['net.connect(server:8080) → ok', "'end'() → EOF"] }]);
  });
});

describe('addresses and ports', () => {
  const names = new EndpointNames(HOSTS, [
    { t: 0, ms: 0, host: 'server', socket: 'server#1', call: 'bind', args: '198.18.7.2:8080', result: 'ok' },
    { t: 0, ms: 0, host: 'client', socket: 'client#1', call: 'connect', args: '[fd74:6370:6c00:7::2]:9090', result: 'ok' },
  ]);

  it('names hosts, keeps the ports the case chose, calls the kernel’s choices eph', () => {
    expect(names.endpoint('198.18.7.1:41722')).toBe('client:eph');
    expect(names.endpoint('198.18.7.2:8080')).toBe('server:8080');
    expect(names.endpoint('[fd74:6370:6c00:7::1]:9090')).toBe('client:9090');
    expect(names.endpoint(null)).toBe(null);
    expect(names.text('server#2 from 198.18.7.1:41722')).toBe('server#2 from client:eph');
    expect(names.text('no route to fd74:6370:6c00:7::9 or 198.18.7.77')).toBe('no route to net::9 or net.77');
    expect(names.text('took 1.234 s, 12:30:45')).toBe('took 1.234 s, 12:30:45');
  });
});

describe('timers', () => {
  const names = new EndpointNames(HOSTS, []);
  const socket = (states: [number, string][]) => ({
    label: 'client#1',
    host: 'client',
    local: null,
    remote: null,
    transitions: states.map(([t, to], i) => ({ t, from: i ? states[i - 1][1] : 'CLOSED', to, source: 'tracepoint' })),
  });

  it('measures TIME_WAIT and an orphaned FIN_WAIT_2 when the case saw them end, and only when their timer could have ended them', () => {
    const t = trace([], {
      sockets: [
        socket([[1, 'FIN_WAIT_1'], [1.1, 'FIN_WAIT_2'], [1.2, 'TIME_WAIT'], [61.25, 'CLOSED']]),
        { ...socket([[1, 'FIN_WAIT_2'], [1.001, 'CLOSED']]), label: 'client#2' }, // an RST, not the timer
        { ...socket([[1, 'FIN_WAIT_2'], [6.003, 'CLOSED']]), label: 'client#3' },
        { ...socket([[1, 'TIME_WAIT']]), label: 'client#4' }, // still running at the end
        { ...socket([[1, 'TIME_WAIT'], [1.004, 'CLOSED']]), label: 'client#5' }, // recycled by a new connect(), not the timer
      ],
    });
    expect(measureTimers(t, names)).toEqual({ 'client#1 TIME_WAIT': 60050, 'client#3 FIN_WAIT_2': 5003 });
  });

  it('records calls a timer held up: close() and connect() from a second on, anything that timed out', () => {
    const t = trace([], {
      calls: [
        { t: 0, ms: 2013.4, host: 'client', socket: 'client#1', call: 'close', result: 'ok' },
        { t: 0, ms: 5000, host: 'client', socket: 'client#1', call: 'read', args: 'to EOF', result: 'EOF after 0 bytes' }, // the peer's pace
        { t: 0, ms: 568, host: 'client', socket: 'client#3', call: 'close', result: 'ok' }, // ended by the peer's ACKs
        { t: 0, ms: 250, host: 'client', socket: 'client#4', call: 'read', args: '10 bytes', result: 'ETIMEDOUT' },
        { t: 0, ms: 3000, host: 'client', socket: 'client#2', call: 'connect', args: '198.18.7.2:8080', result: 'ETIMEDOUT' },
      ],
    });
    expect(measureTimers(t, new EndpointNames(HOSTS, t.calls))).toEqual({ 'client#1 close()': 2013, 'client#2 connect(server:8080)': 3000, 'client#4 read(10 bytes)': 250 });
  });
});
