/** The executor's pure parts: tolerances, packet checks and texts, sequence mapping, assertions, support checks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parsePacketdrill, planScript, planScriptRuns, scriptSeconds, scriptTolerance, timingError, toleranceAt, toleranceFactor } from '../../harness/packetdrill/index.js';
import type { CodeBlock, Event, TcpPacket } from '../../harness/packetdrill/index.js';
import { CodeScope } from '../../harness/packetdrill/code-exec.js';
import { inboundSegment } from '../../harness/packetdrill/inbound.js';
import { outboundMismatch } from '../../harness/packetdrill/outbound.js';
import { actualPacketText, scriptPacketText } from '../../harness/packetdrill/packet-text.js';
import { ScriptSocket } from '../../harness/packetdrill/script-socket.js';
import { checkSupported } from '../../harness/packetdrill/support.js';
import type { TraceSegment } from '../../harness/trace/types.js';

const packet = (line: string): TcpPacket => {
  const s = parsePacketdrill(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n${line}\n`, 'x.pkt');
  return (s.events[1] as Event & { kind: 'packet' }).packet as TcpPacket;
};

function socket(): ScriptSocket {
  const s = new ScriptSocket({ name: 'local' }, 'passive-synack-acked', () => undefined);
  s.liveLocalIsn = 1_000_000;
  s.remoteIsn = 0;
  s.localPort = 8080;
  s.remotePort = 40000;
  return s;
}

function segment(over: Partial<TraceSegment>): TraceSegment {
  return { n: 1, t: 0, from: 'local', to: 'remote', src: '', sport: 8080, dst: '', dport: 40000, seq: 1_000_001, ack: 1, rseq: 1, rack: 1, flags: 'ACK', win: 502, len: 0, options: [], conn: 1, ...over };
}

describe('tolerance', () => {
  test('the larger of --tolerance_usecs and --tolerance_percent of the gap, times the run factor, never under the stack floor', () => {
    const linux = scriptTolerance({ toleranceUsecs: 4000, tolerancePercent: 12.5 }, 'linux', 1);
    expect(toleranceAt(linux, 100_000, 0)).toBe(12_500);
    expect(toleranceAt(linux, 10_000, 0)).toBe(4000);
    expect(scriptTolerance({ toleranceUsecs: 4000, tolerancePercent: 12.5 }, 'linux', 3)).toEqual({ usecs: 12_000, percent: 37.5 });
    expect(scriptTolerance({ toleranceUsecs: 4000, tolerancePercent: 12.5 }, 'uml', 1).usecs).toBe(10_000);
    expect(scriptTolerance({ toleranceUsecs: 4000, tolerancePercent: 12.5 }, 'gvisor', 1).usecs).toBe(10_000);
    expect(scriptTolerance({ toleranceUsecs: 10_000, tolerancePercent: 12.5 }, 'gvisor', 3).usecs).toBe(30_000);
  });

  test('TCPLADDER_TOLERANCE_FACTOR: a positive number, else one line naming it', () => {
    expect(toleranceFactor({})).toBe(1);
    expect(toleranceFactor({ TCPLADDER_TOLERANCE_FACTOR: '2.5' })).toBe(2.5);
    expect(() => toleranceFactor({ TCPLADDER_TOLERANCE_FACTOR: 'x' })).toThrow('TCPLADDER_TOLERANCE_FACTOR: expected a positive number, got "x"');
  });

  test('a timing miss names the expected and the actual time; a base known only within a slack widens the window', () => {
    const check = { what: 'outbound packet', expectedUs: 100_000, toleranceUs: 4000 };
    expect(timingError({ ...check, actualUs: 103_000 })).toBeNull();
    expect(timingError({ ...check, actualUs: 110_000 })).toBe('timing error: expected outbound packet at 0.100000 sec but happened at 0.110000 sec; tolerance 0.004000 sec');
    expect(timingError({ ...check, actualUs: 110_000, slackUs: 8000 })).toBeNull();
    expect(timingError({ ...check, actualUs: 90_000, slackUs: 8000 })).toMatch(/^timing error: expected outbound packet at 0.100000 sec \(the previous event ended up to 0.008000 sec after that\) but happened at 0.090000 sec/);
    expect(timingError({ ...check, endUs: 200_000, actualUs: 150_000 })).toBeNull();
    expect(timingError({ ...check, endUs: 200_000, actualUs: 250_000 })).toMatch(/^timing error: expected outbound packet in time range 0.100000~0.200000 sec but happened at 0.250000 sec/);
    // a host held back from the CPU may be late by so much more, never early
    expect(timingError({ ...check, actualUs: 120_000, heldUs: 18_000 })).toBeNull();
    expect(timingError({ ...check, actualUs: 130_000, heldUs: 18_000 })).toBe('timing error: expected outbound packet at 0.100000 sec but happened at 0.130000 sec; tolerance 0.004000 sec; the host waited up to 0.018000 sec for a CPU meanwhile');
    expect(timingError({ ...check, actualUs: 80_000, heldUs: 18_000 })).toBe('timing error: expected outbound packet at 0.100000 sec but happened at 0.080000 sec; tolerance 0.004000 sec');
    // an answer the script expects at once (+0) cannot have been meant before what it answers
    expect(timingError({ ...check, actualUs: 120_000, heldUs: 30_000, heldAfterUs: 100_000 })).toBeNull();
    expect(timingError({ ...check, actualUs: 120_000, heldUs: 30_000 })).toMatch(/without that wait it may have been early$/);
    // a hold that may have hidden an early answer excuses nothing: 40 ms late, held 60 ms
    expect(timingError({ ...check, endUs: 110_000, actualUs: 150_000, heldUs: 60_000 })).toBe(
      'timing error: expected outbound packet in time range 0.100000~0.110000 sec but happened at 0.150000 sec; tolerance 0.004000 sec; the host waited up to 0.060000 sec for a CPU meanwhile, and without that wait it may have been early',
    );
  });
});

describe('outbound packets', () => {
  test('fields in packetdrill order, with its message; numbers relative to the ISNs', () => {
    const s = socket();
    const p = packet('+0 > F. 1:1(0) ack 2 win 502');
    expect(outboundMismatch(p, segment({ flags: 'FIN ACK', ack: 2 }), s, { tsTickUsecs: 0, toleranceUsecs: 4000, lateUs: 0 })).toBeNull();
    expect(outboundMismatch(p, segment({ flags: 'ACK', ack: 2 }), s, { tsTickUsecs: 0, toleranceUsecs: 4000, lateUs: 0 })).toBe('live packet field tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)');
    expect(outboundMismatch(p, segment({ flags: 'FIN ACK', ack: 2, win: 500 }), s, { tsTickUsecs: 0, toleranceUsecs: 4000, lateUs: 0 })).toBe('live packet field tcp_window: expected: 502 (0x1f6) vs actual: 500 (0x1f4)');
    expect(outboundMismatch(p, segment({ flags: 'FIN ACK', ack: 2, seq: 1_000_002 }), s, { tsTickUsecs: 0, toleranceUsecs: 4000, lateUs: 0 })).toBe('live packet field tcp_seq: expected: 1 (0x1) vs actual: 2 (0x2)');
  });

  test('options in their exact order; <...> takes any; SACK blocks in the script\'s numbers', () => {
    const s = socket();
    const checks = { tsTickUsecs: 0, toleranceUsecs: 4000, lateUs: 0 };
    const sack = segment({ options: [{ kind: 1, name: 'nop', length: 1 }, { kind: 1, name: 'nop', length: 1 }, { kind: 5, name: 'sack', length: 10, sack: [1001, 2001] }] });
    expect(outboundMismatch(packet('+0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001>'), sack, s, checks)).toBeNull();
    expect(outboundMismatch(packet('+0 > . 1:1(0) ack 1 <nop,nop,sack 1001:3001>'), sack, s, checks)).toBe('bad value outbound TCP option 5');
    expect(outboundMismatch(packet('+0 > . 1:1(0) ack 1 <sack 1001:2001,nop,nop>'), sack, s, checks)).toBe('bad outbound TCP options');
    expect(outboundMismatch(packet('+0 > . 1:1(0) ack 1 <...>'), sack, s, checks)).toBeNull();
    expect(outboundMismatch(packet('+0 > . 1:1(0) ack 1'), sack, s, checks)).toBe('live packet field tcp_data_offset: expected: 5 (0x5) vs actual: 8 (0x8)');
  });

  test('a TS val checked against the TS clock, off by at most the tolerance and what its host waited for a CPU', () => {
    const s = socket();
    s.learnTs(100, 5_000_000);
    const ts = (tsval: number) => segment({ options: [{ kind: 1, name: 'nop', length: 1 }, { kind: 1, name: 'nop', length: 1 }, { kind: 8, name: 'ts', length: 10, tsval, tsecr: 1 }] });
    const p = packet('+0 > . 1:1(0) ack 1 <nop,nop,TS val 210 ecr 5010>');
    const checks = { tsTickUsecs: 1000, toleranceUsecs: 10_000, lateUs: 0 };
    expect(outboundMismatch(p, ts(5_000_110), s, checks)).toBeNull();
    expect(outboundMismatch(p, ts(5_000_122), s, checks)).toBe('bad outbound TCP timestamp value, tolerance 10000');
    expect(outboundMismatch(p, ts(5_000_122), s, { ...checks, tsHeldUs: 3000 })).toBeNull();
    expect(outboundMismatch(p, ts(5_000_098), s, { ...checks, tsHeldUs: 3000 })).toBeNull();
    expect(outboundMismatch(p, ts(5_000_130), s, { ...checks, tsHeldUs: 3000 })).toBe('bad outbound TCP timestamp value, tolerance 10000 (and 3000 µs its host waited for a CPU)');
  });

  test('packets written as packetdrill prints them', () => {
    expect(scriptPacketText(packet('+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>'))).toBe('S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>');
    const s = socket();
    expect(actualPacketText(segment({ flags: 'PSH ACK', len: 100 }), s)).toBe('P. 1:101(100) ack 1 win 502');
  });
});

describe('inbound packets', () => {
  test('ack and SACK blocks count from the host\'s ISN; TS ecr is the TS val the host sent for the script\'s', () => {
    const s = socket();
    s.learnTs(200, 987_654);
    const seg = inboundSegment(packet('+0 < . 1:1(0) ack 101 win 257 <nop,nop,TS val 5 ecr 200,nop,nop,sack 1:11>'), s, false);
    expect(seg).toMatchObject({ sport: 40000, dport: 8080, seq: 1, ack: 1_000_101, flags: ['ACK'], win: 257 });
    expect(seg.options[2]).toEqual({ kind: 8, tsval: 5, tsecr: 987_654 });
    expect(seg.options[5]).toEqual({ kind: 5, sack: [1_000_001, 1_000_011] });
    expect(() => inboundSegment(packet('+0 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 5 ecr 300>'), s, false)).toThrow('unable to infer live TS ecr for script TS ecr 300');
  });
});

describe('%{ }% assertions', () => {
  const block = (text: string): CodeBlock => (parsePacketdrill(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ ${text} }%\n`, 'x.pkt').events[1] as Event & { kind: 'code' }).code;

  test('TCP_INFO names, constants, Python precedence, names kept from block to block', () => {
    const scope = new CodeScope();
    scope.run(block('mss = tcpi_snd_mss\nassert tcpi_state == TCP_ESTABLISHED and tcpi_options & TCPI_OPT_SACK != 0').statements!, { tcpi_state: 1, tcpi_snd_mss: 1448, tcpi_options: 2 });
    scope.run(block('assert mss == 1448; assert 7 // 2 == 3 and -7 % 3 == 2').statements!, {});
  });

  test('a failed assertion says which and with what values', () => {
    expect(() => new CodeScope().run(block('assert tcpi_state == TCP_FIN_WAIT1').statements!, { tcpi_state: 5 })).toThrow('AssertionError: tcpi_state == TCP_FIN_WAIT1 (tcpi_state is 5)');
    expect(() => new CodeScope().run(block('assert tcpi_nothing == 1').statements!, {})).toThrow("NameError: name 'tcpi_nothing' is not defined");
  });

  test('a block that fails keeps none of its assignments (a guest read again runs it again)', () => {
    const scope = new CodeScope();
    scope.run(block('n = 1').statements!, {});
    const again = block('n = n + 1\nassert tcpi_state == TCP_CLOSE').statements!;
    expect(() => scope.run(again, { tcpi_state: 1 })).toThrow('AssertionError');
    scope.run(again, { tcpi_state: 7 });
    scope.run(block('assert n == 2').statements!, {});
  });
});

describe('scripts as cases', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-pkt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test('one test per IP version, a folder variant per run, and a script\'s own --ip_version', () => {
    const plain = write('a/plain.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(planScript(plain).map((p) => [p.version, p.family])).toEqual([['ipv4', 4], ['ipv6', 6]]);
    const mapped = write('a/mapped.pkt', '--ip_version=ipv4-mapped-ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(planScript(mapped).map((p) => [p.name.endsWith('(ipv4-mapped-ipv6)'), p.family])).toEqual([[true, 4]]);
    write('b/tcpladder.json', JSON.stringify({ packetdrill: { variants: { fast: ['--ip_version=ipv4'], v6: ['--ip_version=ipv6'] } } }));
    const variants = write('b/s.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(planScript(variants).map((p) => p.name.replace(/.*s\.pkt/, 's.pkt'))).toEqual(['s.pkt (fast)', 's.pkt (v6)']);
  });

  test('a variant that cannot run is a failed test of its own: the other variants are still reported', () => {
    write('c/tcpladder.json', JSON.stringify({ packetdrill: { variants: { ipv4: ['--ip_version=ipv4'], ipv6: ['--ip_version=ipv6 --mtu=1520'] } } }));
    const bad = write('c/bad.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 recvmsg(3, {msg_name(...)=...}, 0) = 0\n');
    const plans = planScriptRuns(bad);
    expect(plans.map((p) => [p.name.replace(/.*bad\.pkt/, 'bad.pkt'), p.family, 'error' in p ? (p.error as Error).message.replace(/.*bad\.pkt/, 'bad.pkt') : 'runs'])).toEqual([
      ['bad.pkt', 4, expect.stringMatching(/^bad\.pkt:2: unsupported: system call recvmsg\(\)/)],
      ['bad.pkt', 6, expect.stringMatching(/^bad\.pkt:2: unsupported: system call recvmsg\(\)/)],
    ]);
    expect(() => planScript(bad)).toThrow(/bad\.pkt:2: unsupported/);
    const good = write('c/good.pkt', '--mss=1000\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 1}], msg_flags=0}, 0) = 1\n');
    expect(planScriptRuns(good).map((p) => ('error' in p ? (p.error as Error).message : p.version))).toEqual(['ipv4', 'ipv6']);
  });

  test('what tcpladder does not run is refused before anything runs, by line', () => {
    const s = parsePacketdrill('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 recvmsg(3, {msg_name(...)=...}, 0) = 0\n', 'x.pkt');
    expect(() => checkSupported(s)).toThrow(/^x\.pkt:2: unsupported: system call recvmsg\(\)/);
    const icmp = parsePacketdrill('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < icmp unreachable port_unreachable [1:1(0)]\n', 'x.pkt');
    expect(() => checkSupported(icmp)).toThrow('x.pkt:2: unsupported: ICMP packets (tcpladder runs TCP scripts)');
    const ecn = parsePacketdrill('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < [ect0] . 1:1(0) ack 1 win 100\n', 'x.pkt');
    expect(() => checkSupported(ecn)).toThrow(/^x\.pkt:2: unsupported: IP header fields/);
  });

  test('how long a script runs: relative times add up, blocking calls count to their return', () => {
    const s = parsePacketdrill('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+.5 close(3) = 0\n+0...2.0 accept(3, ..., ...) = 4\n1.000 close(4) = 0\n', 'x.pkt');
    expect(scriptSeconds(s)).toBe(2.5);
  });
});
