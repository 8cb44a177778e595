/** Every error the parser gives: one line, `file:line: what`, an InputError (exit 2), on the right line. */
import { describe, expect, it } from 'vitest';
import { isInputError } from '../../harness/input-error.js';
import { parsePacketdrill, type FlagSetting } from '../../harness/packetdrill/index.js';

function errorOf(text: string, flags?: FlagSetting[]): string {
  try {
    parsePacketdrill(text, 'x.pkt', { flags });
  } catch (e) {
    expect(isInputError(e)).toBe(true);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('parsed without an error');
}

const HANDSHAKE = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n';

describe('lexical errors', () => {
  it('names unterminated strings, commands, comments and code blocks at the line they start', () => {
    expect(errorOf(`${HANDSHAKE}+0 write(3, "abc, 3) = 3\n+0 close(3) = 0`)).toBe('x.pkt:3: unterminated string');
    expect(errorOf(`${HANDSHAKE}\n+0 \`echo hi\n`)).toBe('x.pkt:4: unterminated `command`');
    expect(errorOf(`${HANDSHAKE}/* never closed\n+0 close(3) = 0`)).toBe('x.pkt:3: unterminated /* comment');
    expect(errorOf('/* in the header')).toBe('x.pkt:1: unterminated /* comment');
    expect(errorOf(`${HANDSHAKE}+0 %{ assert 1\n`)).toBe('x.pkt:3: unterminated %{ code block (no }%)');
  });

  it('names a definition that is not script text', () => {
    expect(errorOf('0 close(X) = 0', [{ name: 'define', value: 'X=`oops', where: { file: 'cli' } }])).toBe('x.pkt:1: the definition X="`oops" is not valid script text');
    expect(errorOf(`${HANDSHAKE}+0 "two\nlines" close(3) = 0`)).toBe('x.pkt:3: expected a packet (< or >), a system call, a `command` or a %{ code }% block after the time, found the string "two\\nlines"');
  });
});

describe('flags', () => {
  it('names the flag and its line', () => {
    expect(errorOf('// c\n--foo=1\n0 close(3) = 0')).toBe('x.pkt:2: unknown flag --foo');
    expect(errorOf('--wire_client\n0 close(3) = 0')).toBe('x.pkt:1: unsupported: --wire_client (tcpladder is the wire: there is no remote wire server)');
    expect(errorOf('\n\n--ip_version=ipv5\n0 close(3) = 0')).toBe('x.pkt:3: --ip_version: expected ipv4, ipv6, ipv4-mapped-ipv6, got "ipv5"');
    expect(errorOf('--mtu\n0 close(3) = 0')).toBe('x.pkt:1: --mtu needs a value (--mtu=…)');
    expect(errorOf('--mtu=\n0 close(3) = 0')).toBe('x.pkt:1: --mtu= has no value');
    expect(errorOf('--dry_run=yes\n0 close(3) = 0')).toBe('x.pkt:1: --dry_run takes no value');
    expect(errorOf('--tolerance_usecs=-5\n0 close(3) = 0')).toBe(`x.pkt:1: --tolerance_usecs: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got "-5"`);
    expect(errorOf('--local_ip=192.168.0.300\n0 close(3) = 0')).toBe('x.pkt:1: --local_ip: expected an IP address, got "192.168.0.300"');
    expect(errorOf('--define=1X=2\n0 close(3) = 0')).toBe('x.pkt:1: --define: expected NAME=VALUE, got "1X=2"');
    expect(errorOf(`${HANDSHAKE}--mtu=1500\n`)).toBe('x.pkt:3: flags (--mtu) must come before the first event');
  });
});

describe('script structure and times', () => {
  it('refuses a script without events', () => {
    expect(errorOf('')).toBe('x.pkt:1: the script has no events (timed packets, system calls, `commands` or %{ code }%)');
    expect(errorOf('// nothing\n--mtu=1500\n`./defaults.sh`\n')).toBe('x.pkt:4: the script has no events (timed packets, system calls, `commands` or %{ code }%)');
  });

  it('refuses an untimed command in the middle', () => {
    expect(errorOf(`${HANDSHAKE}\`sysctl -q x=1\`\n+0 close(3) = 0`)).toBe('x.pkt:3: a `command` needs a time (e.g. +0 `...`) unless it is the first or the last statement of the script');
  });

  it('checks times', () => {
    expect(errorOf(`${HANDSHAKE}close(3) = 0`)).toBe('x.pkt:3: expected an event time (0, +0.1, *, …), found "close"');
    expect(errorOf(`${HANDSHAKE}+ close(3) = 0`)).toBe('x.pkt:3: expected a time after "+", found "close"');
    expect(errorOf('-1 close(3) = 0')).toBe('x.pkt:1: negative time -1');
    expect(errorOf(`${HANDSHAKE}0.2~0.1 > . 1:1(0)`)).toBe('x.pkt:3: time range is backwards');
    expect(errorOf(`${HANDSHAKE}+0~.1 > . 1:1(0)`)).toBe('x.pkt:3: a relative time range is written +a~+b, found ".1" after "~"');
    expect(errorOf(`${HANDSHAKE}* close(3) = 0`)).toBe('x.pkt:3: event time * can only be used with outbound packets');
    expect(errorOf(`${HANDSHAKE}\n* < . 1:1(0) win 5`)).toBe('x.pkt:4: event time * can only be used with outbound packets');
    expect(errorOf(`${HANDSHAKE}+0~+1 < . 1:1(0) win 1`)).toBe('x.pkt:3: a time range can only be used with outbound packets');
    expect(errorOf(`${HANDSHAKE}+0 frobnicate`)).toBe('x.pkt:3: expected a packet (< or >), a system call, a `command` or a %{ code }% block after the time, found "frobnicate"');
    expect(errorOf(`${HANDSHAKE}+0...0.2 > S 0:0(0)`)).toBe('x.pkt:3: expected a system call after ...0.2, found ">"');
    expect(errorOf('99999999999 close(3) = 0')).toBe('x.pkt:1: time 99999999999 is too large');
  });
});

describe('packets', () => {
  it('checks the TCP header fields', () => {
    expect(errorOf(`${HANDSHAKE}+0 < . 1:1(0) ack 1`)).toBe('x.pkt:3: window must be specified for inbound packets (win N)');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:5(3) ack 1`)).toBe('x.pkt:3: inconsistent TCP sequence numbers and payload size: 1:5(3) (end must be start + length)');
    expect(errorOf(`${HANDSHAKE}+0 > . 4294967296:4294967296(0)`)).toBe('x.pkt:3: start sequence number 4294967296 is out of range (at most 4294967295)');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:1(0) ack 1 win 65536`)).toBe('x.pkt:3: window 65536 is out of range (at most 65535)');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:1 ack 1`)).toBe('x.pkt:3: expected "(" before the payload length, found "ack"');
    expect(errorOf(`${HANDSHAKE}+0 > . x:1(0)`)).toBe('x.pkt:3: expected start sequence number (an integer), found "x"');
    expect(errorOf(`${HANDSHAKE}+0 > SX 0:0(0)`)).toBe("x.pkt:3: invalid TCP flag 'X' in \"SX\" (flags: . F S R P E W A U, or an ACE digit 0-7)");
    expect(errorOf(`${HANDSHAKE}+0 > SE5 0:0(0)`)).toBe("x.pkt:3: conflicting TCP flag '5' in \"SE5\" (an ACE digit replaces E, W and A)");
    expect(errorOf(`${HANDSHAKE}+0 > 5W 0:0(0)`)).toBe("x.pkt:3: conflicting TCP flag 'W' in \"5W\" (an ACE digit replaces E, W and A)");
    expect(errorOf(`${HANDSHAKE}+0 > ( 0:0(0)`)).toBe('x.pkt:3: expected noecn, ect0, ect1, ce, ect01, tos, class, flowlabel or ttl in (), found "0"');
    expect(errorOf(`${HANDSHAKE}+0 > < 0:0(0)`)).toBe('x.pkt:3: expected TCP flags (S, S., ., F., R, P., …), found "<"');
  });

  it('checks the TCP options', () => {
    expect(errorOf(`${HANDSHAKE}+0 < S 0:0(0) win 1 <...>`)).toBe('x.pkt:3: <...> for TCP options can only be used with outbound packets');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0) <mss 1460,foo 1>`)).toBe('x.pkt:3: unknown TCP option "foo" (known: nop, eol, mss, wscale, sackOK, sack, TS val … ecr …, FO, FOEXP, md5, ECN)');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0)\n  <mss 1460 nop>`)).toBe('x.pkt:4: expected ">" after the TCP options (options are separated by commas), found "nop"');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0) <mss 70000>`)).toBe('x.pkt:3: mss 70000 is out of range (at most 65535)');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0) <wscale 7>`)).toBe('x.pkt:3: TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: 3 excess bytes');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:1(0) <sack 1:2 3:4 5:6 7:8 9:10,nop,nop>`)).toBe('x.pkt:3: TCP options take 44 bytes, more than the 40 a TCP header has room for');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0) <FO abc,nop>`)).toBe('x.pkt:3: the fast open cookie "abc" has an odd number of hex digits');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:1(0) <nop,nop,md5 valid>`)).toBe('x.pkt:3: the md5 digest "valid" is not a hex string (is it a -D name with no definition?)');
    expect(errorOf(`${HANDSHAKE}+0 > . 1:1(0) <nop,nop,md5 0123456789abcdefgh>`)).toBe('x.pkt:3: the md5 digest "0123456789abcdefgh" is not a hex string');
    expect(errorOf(`${HANDSHAKE}+0 > S 0:0(0) <TS 1 ecr 2>`)).toBe('x.pkt:3: expected "val" after TS, found "1"');
  });

  it('checks IP fields, UDP and ICMP', () => {
    expect(errorOf(`${HANDSHAKE}+0 < [ect01] . 1:1(0) win 1`)).toBe('x.pkt:3: [ect01] can only be used with outbound packets');
    expect(errorOf(`${HANDSHAKE}+0 > (tos 16) . 1:1(0)`)).toBe('x.pkt:3: tos takes a hex number like 0x10, found "16"');
    expect(errorOf(`${HANDSHAKE}+0 > [ect0 . 1:1(0)`)).toBe('x.pkt:3: expected "]" to close the IP fields opened with "[", found "."');
    expect(errorOf(`${HANDSHAKE}+0 < [ect0] udp (10)`)).toBe('x.pkt:3: ECN can only be used with TCP packets');
    expect(errorOf(`${HANDSHAKE}+0 < udp 100`)).toBe('x.pkt:3: expected "(" before the UDP payload length, found "100"');
    expect(errorOf(`${HANDSHAKE}+0 < [1:1(0)] tcp`)).toBe('x.pkt:3: expected "icmp" after the quoted segment, found "tcp"');
    expect(errorOf(`${HANDSHAKE}+0 < icmp 3`)).toBe('x.pkt:3: expected an ICMP type (e.g. unreachable), found "3"');
  });

  it('names what it does not run as unsupported', () => {
    expect(errorOf(`${HANDSHAKE}+0 < ipv4 1.1.1.1 > 2.2.2.2: gre: . 1:1(0) win 1`)).toBe('x.pkt:3: unsupported: encapsulated packets (ipv4 …:)');
    expect(errorOf(`${HANDSHAKE}+0 < mpls (label 1, tc 0, ttl 9): . 1:1(0) win 1`)).toBe('x.pkt:3: unsupported: encapsulated packets (mpls …:)');
    expect(errorOf(`${HANDSHAKE}+.1 < P. 1:21(20) ack 1 win 257 {rep tcp win_size 0x1021}`)).toBe('x.pkt:3: unsupported: packet fuzzing ({...} after a packet)');
    expect(errorOf(`${HANDSHAKE}+0 > R. 0:0(0)! ack 2 win 0`)).toBe('x.pkt:3: unsupported: "!" after the sequence numbers (NPLab packetdrill)');
    expect(errorOf(`${HANDSHAKE}+0 < F. 1:1(0) ack 1 win 9 <nop,nop,sackOK>/udp(1 > 9811)`)).toBe('x.pkt:3: unsupported: TCP over UDP encapsulation (/udp(...), NPLab packetdrill)');
  });
});

describe('system calls', () => {
  it('checks the call syntax', () => {
    expect(errorOf(`${HANDSHAKE}+0 close(3)`)).toBe('x.pkt:3: expected "=" after close(...) (system calls are written name(args) = result), found the end of the script');
    expect(errorOf(`${HANDSHAKE}+0 close(3 = 0`)).toBe('x.pkt:3: expected ")" to end the arguments of close, found "="');
    expect(errorOf(`${HANDSHAKE}+0 connect(3, &addr, 16) = 0`)).toBe('x.pkt:3: expected a value (a number, a symbol, a "string", ..., [ ] or { }), found "&"');
    expect(errorOf(`${HANDSHAKE}+0 setsockopt(3, 1, 2, [1.5], 4) = 0`)).toBe('x.pkt:3: expected a value (a number, a symbol, a "string", ..., [ ] or { }), found "1.5"');
    expect(errorOf(`${HANDSHAKE}+0 setsockopt(3, 1, 2, {a=1,\n\n b=2], 4) = 0`)).toBe('x.pkt:5: expected "}" to end the struct, found "]"');
    expect(errorOf(`${HANDSHAKE}+0 connect(3, ..., ...) = -1 EFOO (never closed\n+0 close(3) = 0`)).toBe('x.pkt:3: unclosed "(" in the note after a system call');
    expect(errorOf(`${HANDSHAKE}+0 f(${'['.repeat(100)}1${']'.repeat(100)}) = 0`)).toBe('x.pkt:3: arguments nest deeper than 64 levels');
  });
});
