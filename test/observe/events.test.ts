import { describe, expect, it } from 'vitest';
import { parseTraceLine, type KernelEvent } from '../../harness/observe/events.js';
import { A4, A6, fixtureLines } from './fixtures.js';

const lines = fixtureLines();
const byEvent = (name: string) => lines.filter((l) => l.includes(` ${name}: `));

/** Fields of a line's body, read independently of the parser. */
function raw(line: string): Record<string, string> {
  const body = line.slice(line.indexOf(': ', line.indexOf(']')) + 2);
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/(\w+)=(\S+)/g)) out[m[1]] = m[2];
  return out;
}

function ns(line: string): bigint {
  const m = /(\d+)\.(\d{6}):/.exec(line)!;
  return BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]) * 1000n;
}

const STATE: Record<string, string> = {
  TCP_ESTABLISHED: 'ESTABLISHED', TCP_SYN_SENT: 'SYN_SENT', TCP_SYN_RECV: 'SYN_RECV', TCP_FIN_WAIT1: 'FIN_WAIT_1',
  TCP_FIN_WAIT2: 'FIN_WAIT_2', TCP_TIME_WAIT: 'TIME_WAIT', TCP_CLOSE: 'CLOSED', TCP_CLOSE_WAIT: 'CLOSE_WAIT',
  TCP_LAST_ACK: 'LAST_ACK', TCP_LISTEN: 'LISTEN', TCP_CLOSING: 'CLOSING', TCP_NEW_SYN_RECV: 'SYN_RECV',
};

describe('parseTraceLine on real lines from this machine', () => {
  it('the fixture has every event kind tcpladder enables, in both families', () => {
    for (const name of ['inet_sock_set_state', 'tcp_send_reset', 'tcp_receive_reset', 'tcp_retransmit_skb', 'tcp_destroy_sock', 'tracing_mark_write']) {
      expect(byEvent(name).length, name).toBeGreaterThan(0);
    }
    expect(lines.some((l) => l.includes('family=AF_INET6'))).toBe(true);
    expect(lines.some((l) => l.includes('<idle>-0'))).toBe(true); // softirq context: a task name with <>
  });

  it('parses every line', () => {
    for (const l of lines) expect(parseTraceLine(l), l).not.toBeNull();
  });

  it('inet_sock_set_state: states, the family\'s addresses, ports and time', () => {
    for (const l of byEvent('inet_sock_set_state')) {
      const f = raw(l);
      const v6 = f.family === 'AF_INET6';
      expect(parseTraceLine(l), l).toEqual({
        kind: 'state',
        t: ns(l),
        from: STATE[f.oldstate],
        to: STATE[f.newstate],
        saddr: v6 ? f.saddrv6 : f.saddr,
        sport: Number(f.sport),
        daddr: v6 ? f.daddrv6 : f.daddr,
        dport: Number(f.dport),
      });
    }
  });

  it('IPv6 sockets take the v6 fields (the v4 fields of an AF_INET6 line are junk)', () => {
    const l = byEvent('inet_sock_set_state').find((x) => x.includes('family=AF_INET6') && x.includes('newstate=TCP_SYN_RECV'))!;
    expect(l).toMatch(/ saddr=(?!fd74)/);
    const e = parseTraceLine(l) as Extract<KernelEvent, { kind: 'state' }>;
    expect(e).toMatchObject({ kind: 'state', from: 'LISTEN', to: 'SYN_RECV', saddr: A6, daddr: A6, sport: 8080 });
  });

  it('a listener: CLOSED → LISTEN with a wildcard peer', () => {
    const l = byEvent('inet_sock_set_state').find((x) => x.includes('family=AF_INET ') && x.includes('newstate=TCP_LISTEN'))!;
    expect(parseTraceLine(l)).toMatchObject({ from: 'CLOSED', to: 'LISTEN', saddr: A4, sport: 8080, daddr: '0.0.0.0', dport: 0 });
    const l6 = byEvent('inet_sock_set_state').find((x) => x.includes('family=AF_INET6') && x.includes('newstate=TCP_LISTEN'))!;
    expect(parseTraceLine(l6)).toMatchObject({ from: 'CLOSED', to: 'LISTEN', saddr: A6, sport: 8080, daddr: '::', dport: 0 });
  });

  it('connect(): SYN_SENT is reported before the source port is chosen (sport=0)', () => {
    const synSent = byEvent('inet_sock_set_state').filter((x) => x.includes('newstate=TCP_SYN_SENT'));
    expect(synSent.length).toBeGreaterThan(0);
    for (const l of synSent) expect(parseTraceLine(l)).toMatchObject({ from: 'CLOSED', to: 'SYN_SENT', sport: 0 });
  });

  it('tcp_send_reset: src/dest as addr:port, [v6]:port; state UNKNOWN (no socket) is left out', () => {
    const noSocket = byEvent('tcp_send_reset').filter((l) => l.includes('state=UNKNOWN'));
    expect(noSocket).toHaveLength(2);
    const [v4, v6] = noSocket.map((l) => parseTraceLine(l)!);
    expect(v4).toMatchObject({ kind: 'send_reset', saddr: A4, sport: 9, daddr: A4 });
    expect(v4).not.toHaveProperty('state', expect.anything());
    expect(v6).toMatchObject({ kind: 'send_reset', saddr: A6, sport: 9, daddr: A6 });
    for (const l of noSocket) {
      const dest = /dest=\S*:(\d+) /.exec(l)![1];
      expect((parseTraceLine(l) as { dport: number }).dport).toBe(Number(dest));
    }
    const fromSocket = byEvent('tcp_send_reset').filter((l) => !l.includes('state=UNKNOWN'));
    expect(fromSocket).toHaveLength(2);
    for (const l of fromSocket) expect(parseTraceLine(l)).toMatchObject({ kind: 'send_reset', state: 'CLOSED', dport: 8081, t: ns(l) });
  });

  it('tcp_receive_reset, tcp_retransmit_skb, tcp_destroy_sock: tuples by family, state where given', () => {
    const kinds: Record<string, string> = { tcp_receive_reset: 'receive_reset', tcp_retransmit_skb: 'retransmit', tcp_destroy_sock: 'destroy' };
    for (const [name, kind] of Object.entries(kinds)) {
      for (const l of byEvent(name)) {
        const f = raw(l);
        const v6 = f.family === 'AF_INET6';
        const e = parseTraceLine(l)!;
        expect(e, l).toMatchObject({ kind, t: ns(l), saddr: v6 ? f.saddrv6 : f.saddr, sport: Number(f.sport), daddr: v6 ? f.daddrv6 : f.daddr, dport: Number(f.dport) });
        if (f.state) expect(e).toHaveProperty('state', STATE[f.state]);
      }
    }
    const retrans = byEvent('tcp_retransmit_skb').map((l) => parseTraceLine(l) as { state?: string });
    expect(retrans.map((e) => e.state)).toContain('ESTABLISHED');
    expect(retrans.map((e) => e.state)).toContain('SYN_SENT');
  });

  it('tracing_mark_write: the marker text', () => {
    const [l] = byEvent('tracing_mark_write');
    expect(parseTraceLine(l)).toEqual({ kind: 'marker', t: ns(l), text: 'tcpl-fixture-marker-1' });
  });
});

describe('parseTraceLine on other input', () => {
  const SET_STATE = (proto: string) =>
    `          node-1   [000] ..s2.   100.000001: inet_sock_set_state: family=AF_INET protocol=${proto} sport=1 dport=2 saddr=10.0.0.1 daddr=10.0.0.2 saddrv6=::ffff:10.0.0.1 daddrv6=::ffff:10.0.0.2 oldstate=TCP_CLOSE newstate=TCP_SYN_SENT`;

  it('ignores headers, lost-event notes, empty lines and events it does not know', () => {
    expect(parseTraceLine('# tracer: nop')).toBeNull();
    expect(parseTraceLine('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION')).toBeNull();
    expect(parseTraceLine('CPU:1 [LOST 42 EVENTS]')).toBeNull();
    expect(parseTraceLine('')).toBeNull();
    expect(parseTraceLine('          node-1   [000] .....   100.000001: sched_switch: prev_comm=node')).toBeNull();
  });

  it('keeps only TCP from inet_sock_set_state (SCTP and MPTCP report there too)', () => {
    expect(parseTraceLine(SET_STATE('IPPROTO_TCP'))).toMatchObject({ kind: 'state' });
    expect(parseTraceLine(SET_STATE('IPPROTO_SCTP'))).toBeNull();
    expect(parseTraceLine(SET_STATE('IPPROTO_MPTCP'))).toBeNull();
  });

  it('task names with spaces, dashes and digits', () => {
    const l = SET_STATE('IPPROTO_TCP').replace('          node-1', '   Web Content-22-1234');
    expect(parseTraceLine(l)).toMatchObject({ kind: 'state', t: 100_000_001_000n });
    expect(parseTraceLine(l.replace('Web Content-22-1234', 'kworker/u8:2-87'))).toMatchObject({ kind: 'state' });
  });

  it('NEW_SYN_RECV is written SYN_RECV', () => {
    const l = '  node-1 [000] ..s1.  5.5: tcp_send_reset: skbaddr=0 skaddr=0 src=10.0.0.2:80 dest=10.0.0.1:5 state=TCP_NEW_SYN_RECV reason=NOT_SPECIFIED';
    expect(parseTraceLine(l)).toMatchObject({ kind: 'send_reset', state: 'SYN_RECV', t: 5_500_000_000n, saddr: '10.0.0.2', sport: 80, daddr: '10.0.0.1', dport: 5 });
  });
});
