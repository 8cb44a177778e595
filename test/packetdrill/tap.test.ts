import { describe, expect, test } from 'vitest';
import { formatTap, type TapInput } from '../../harness/packetdrill/index.js';

const summary: TapInput = {
  cases: [
    { case: 'cases/packetdrill/close/active-close.pkt', family: 'ipv4', status: 'passed' },
    {
      case: 'cases/packetdrill/reset/linger-zero.pkt',
      family: 'ipv6',
      status: 'failed',
      error: 'cases/packetdrill/reset/linger-zero.pkt:18: error handling packet: live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)',
      message:
        'cases/packetdrill/reset/linger-zero.pkt:18: error handling packet: live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)\nscript packet:  0.010000 R. 1:1(0) ack 1\nactual packet:  0.010100 F. 1:1(0) ack 1 win 502',
    },
    { case: 'bad #2', family: 'ipv4', status: 'failed', error: 'x.pkt:3: unsupported: system call sendmsg()', errorKind: 'input' },
    { case: 'uml only', family: 'ipv4', status: 'not-applicable', why: 'needs states:exact' },
    { case: 'gvisor keeps TIME_WAIT', family: 'ipv4', status: 'known-failure', why: 'listed in cases/stacks/gvisor.json\nbecause…' },
  ],
  problems: [{ title: 'cases/x.case.ts did not load', message: 'SyntaxError: unexpected token' }],
};

describe('formatTap', () => {
  test('TAP 13: a line per case, diagnostics under failures, TODO and SKIP directives', () => {
    expect(formatTap(summary, 'tap')).toBe(
      [
        'TAP version 13',
        '1..6',
        'ok 1 - cases/packetdrill/close/active-close.pkt [IPv4]',
        'not ok 2 - cases/packetdrill/reset/linger-zero.pkt [IPv6]',
        '# cases/packetdrill/reset/linger-zero.pkt:18: error handling packet: live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)',
        '# script packet:  0.010000 R. 1:1(0) ack 1',
        '# actual packet:  0.010100 F. 1:1(0) ack 1 win 502',
        'not ok 3 - bad \\#2 [IPv4]',
        '# x.pkt:3: unsupported: system call sendmsg()',
        'ok 4 - uml only [IPv4] # SKIP needs states:exact',
        'not ok 5 - gvisor keeps TIME_WAIT [IPv4] # TODO known failure: listed in cases/stacks/gvisor.json because…',
        'not ok 6 - cases/x.case.ts did not load',
        '# SyntaxError: unexpected token',
        '',
      ].join('\n'),
    );
  });

  test('KTAP 1: no dash, XFAIL for known failures, and the totals line of the kernel selftests', () => {
    const out = formatTap(summary, 'ktap').split('\n');
    expect(out.slice(0, 3)).toEqual(['KTAP version 1', '1..6', 'ok 1 cases/packetdrill/close/active-close.pkt [IPv4]']);
    expect(out).toContain('ok 5 gvisor keeps TIME_WAIT [IPv4] # XFAIL listed in cases/stacks/gvisor.json because…');
    expect(out.at(-2)).toBe('# Totals: pass:1 fail:1 xfail:1 xpass:0 skip:1 error:2');
  });

  test('a long failure message is cut, saying how much was left out', () => {
    const message = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const out = formatTap({ cases: [{ case: 'c', family: 'ipv4', status: 'failed', message }] }).split('\n');
    expect(out.filter((l) => l.startsWith('# line'))).toHaveLength(20);
    expect(out).toContain('# … 10 more lines in summary.json');
  });
});
