import { describe, expect, it } from 'vitest';
import { checkTransition, LINUX_DEVIATIONS, LINUX_OBSERVABILITY } from '../../harness/expect/index.js';
import { STATES } from '../../harness/observe/index.js';

/** The arrows of the RFC 793 diagram (RFC 9293 figure 5), written out independently of the harness. */
const DRAWN: [string, string, string][] = [
  ['CLOSED', 'LISTEN', 'passive OPEN'],
  ['CLOSED', 'SYN_SENT', 'active OPEN, snd SYN'],
  ['LISTEN', 'SYN_RECV', 'rcv SYN, snd SYN,ACK'],
  ['LISTEN', 'SYN_SENT', 'SEND, snd SYN'],
  ['LISTEN', 'CLOSED', 'CLOSE'],
  ['SYN_RECV', 'LISTEN', 'rcv RST'],
  ['SYN_RECV', 'ESTABLISHED', 'rcv ACK of SYN'],
  ['SYN_RECV', 'FIN_WAIT_1', 'CLOSE, snd FIN'],
  ['SYN_SENT', 'SYN_RECV', 'rcv SYN (simultaneous open)'],
  ['SYN_SENT', 'ESTABLISHED', 'rcv SYN,ACK, snd ACK'],
  ['SYN_SENT', 'CLOSED', 'CLOSE'],
  ['ESTABLISHED', 'FIN_WAIT_1', 'CLOSE, snd FIN'],
  ['ESTABLISHED', 'CLOSE_WAIT', 'rcv FIN, snd ACK'],
  ['FIN_WAIT_1', 'FIN_WAIT_2', 'rcv ACK of FIN'],
  ['FIN_WAIT_1', 'CLOSING', 'rcv FIN, snd ACK (simultaneous close)'],
  ['FIN_WAIT_1', 'TIME_WAIT', 'rcv FIN,ACK of our FIN (RFC 793 p.75)'],
  ['FIN_WAIT_2', 'TIME_WAIT', 'rcv FIN, snd ACK'],
  ['CLOSING', 'TIME_WAIT', 'rcv ACK of FIN'],
  ['CLOSE_WAIT', 'LAST_ACK', 'CLOSE, snd FIN'],
  ['LAST_ACK', 'CLOSED', 'rcv ACK of FIN'],
  ['TIME_WAIT', 'CLOSED', 'timeout 2MSL'],
];

/** Valid: drawn, or any state → CLOSED (RST received, ABORT: RFC 793 §3.4, §3.9). */
function valid(from: string, to: string): boolean {
  return DRAWN.some(([f, t]) => f === from && t === to) || (to === 'CLOSED' && from !== 'CLOSED');
}

describe('checkTransition', () => {
  it.each(DRAWN)('%s → %s (%s) is accepted', (from, to) => {
    expect(checkTransition(from, to).verdict).not.toBe('invalid');
  });

  it('every state may go to CLOSED (reset, abort), but CLOSED → CLOSED is no transition', () => {
    for (const s of STATES) {
      if (s === 'CLOSED') continue;
      expect(checkTransition(s, 'CLOSED').verdict, `${s} → CLOSED`).not.toBe('invalid');
    }
    expect(checkTransition('CLOSED', 'CLOSED').verdict).toBe('invalid');
  });

  it('all other pairs of states are invalid, with a note that says so', () => {
    let invalid = 0;
    for (const from of STATES) {
      for (const to of STATES) {
        const c = checkTransition(from, to);
        expect(c.verdict === 'invalid', `${from} → ${to}: ${c.verdict}`).toBe(!valid(from, to));
        if (c.verdict === 'invalid') {
          invalid++;
          expect(c.note).toBe(`${from} → ${to} is not in the RFC 793 diagram nor a known Linux deviation`);
        }
      }
    }
    // 11 × 11 pairs − 21 drawn arrows − 6 more "→ CLOSED" (4 of the 10 are drawn)
    expect(invalid).toBe(94);
  });

  it('a few transitions a broken observer could produce are caught', () => {
    for (const [from, to] of [
      ['CLOSED', 'ESTABLISHED'],
      ['LISTEN', 'ESTABLISHED'],
      ['TIME_WAIT', 'ESTABLISHED'],
      ['FIN_WAIT_2', 'FIN_WAIT_1'],
      ['CLOSE_WAIT', 'FIN_WAIT_1'],
      ['ESTABLISHED', 'TIME_WAIT'],
      ['ESTABLISHED', 'ESTABLISHED'],
      ['LAST_ACK', 'TIME_WAIT'],
    ]) {
      expect(checkTransition(from, to).verdict, `${from} → ${to}`).toBe('invalid');
    }
  });

  it('the passive child LISTEN → SYN_RECV is the documented Linux deviation, with its note', () => {
    const c = checkTransition('LISTEN', 'SYN_RECV');
    expect(c.verdict).toBe('linux-deviation');
    expect(c.note).toMatch(/child socket/);
  });

  it('the deviations are listed in one place, each with what and a reference', () => {
    expect(LINUX_DEVIATIONS.length).toBeGreaterThan(0);
    for (const d of LINUX_DEVIATIONS) {
      const [from, to] = d.edge.split('>');
      expect(STATES).toContain(from);
      expect(STATES).toContain(to);
      expect(d.what.length).toBeGreaterThan(10);
      expect(d.reference.length).toBeGreaterThan(5);
      expect(checkTransition(from, to).verdict).not.toBe('invalid');
    }
    expect(LINUX_OBSERVABILITY.join('\n')).toMatch(/TIME_WAIT/);
  });

  it('reports what it checked', () => {
    expect(checkTransition('ESTABLISHED', 'FIN_WAIT_1')).toEqual({ from: 'ESTABLISHED', to: 'FIN_WAIT_1', verdict: 'rfc793' });
  });
});
