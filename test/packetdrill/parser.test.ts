/** Each grammar feature of the packetdrill language, parsed into the syntax tree. */
import { describe, expect, it } from 'vitest';
import { parsePacketdrill, type Event, type Expr, type Packet, type TcpPacket } from '../../harness/packetdrill/index.js';

const parse = (text: string) => parsePacketdrill(text, 't.pkt');
const events = (text: string): Event[] => parse(text).events;
const one = (text: string): Event => {
  const e = events(text);
  expect(e).toHaveLength(1);
  return e[0];
};
const packet = (line: string): Packet => {
  const e = one(line);
  if (e.kind !== 'packet') throw new Error(`not a packet: ${e.kind}`);
  return e.packet;
};
const tcp = (line: string): TcpPacket => {
  const p = packet(line);
  if (p.protocol !== 'tcp') throw new Error(`not tcp: ${p.protocol}`);
  return p;
};
const args = (line: string): Expr[] => {
  const e = one(line);
  if (e.kind !== 'syscall') throw new Error(`not a syscall: ${e.kind}`);
  return e.syscall.args;
};
/** the tree without places, for compact comparisons */
const bare = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'line' || k === 'column' ? undefined : typeof v === 'bigint' ? Number(v) : v)));

describe('times', () => {
  it('reads absolute, relative, any and range times in microseconds', () => {
    const t = events(`0 close(3) = 0
+0.1 close(3) = 0
.25 close(3) = 0
+1 close(3) = 0
2.0000019 close(3) = 0
* > . 1:1(0) ack 1
0.1~0.2 > . 1:1(0) ack 1
+0~+.04 > . 1:1(0) ack 1
+ 0.5 close(3) = 0`).map((e) => e.time);
    expect(t).toEqual([
      { kind: 'absolute', usecs: 0 },
      { kind: 'relative', usecs: 100_000 },
      { kind: 'absolute', usecs: 250_000 },
      { kind: 'relative', usecs: 1_000_000 },
      { kind: 'absolute', usecs: 2_000_001 },
      { kind: 'any' },
      { kind: 'absolute-range', usecs: 100_000, endUsecs: 200_000 },
      { kind: 'relative-range', usecs: 0, endUsecs: 40_000 },
      { kind: 'relative', usecs: 500_000 },
    ]);
  });

  it('reads ... before a blocking call as the time it returns, with or without spaces', () => {
    for (const line of ['+0...0.200 accept(3, ..., ...) = 4', '+0 ... 0.2 accept(3, ..., ...) = 4', '+.1...0.200 accept(3, ..., ...) = 4']) {
      const e = one(line);
      expect(e.kind === 'syscall' && e.syscall.blockingEndUsecs).toBe(200_000);
    }
    const e = one('0 accept(3, ..., ...) = 4');
    expect(e.kind === 'syscall' && 'blockingEndUsecs' in e.syscall).toBe(false);
  });

  it('puts each event on the line and column of its time', () => {
    const e = events('// one\n\n  +0 close(3) = 0\n\t0.1 > . 1:1(0) ack 1');
    expect(e.map((x) => [x.line, x.column])).toEqual([
      [3, 3],
      [4, 2],
    ]);
  });
});

describe('TCP packets', () => {
  it('reads direction, flags, sequence numbers, ack, win and urg', () => {
    expect(bare(tcp('+0 < P. 1:1001(1000) ack 5 win 257 urg 3'))).toEqual({
      direction: 'inbound',
      protocol: 'tcp',
      flags: { text: 'P.', syn: false, ack: true, fin: false, rst: false, psh: true, urg: false, ece: false, cwr: false, ae: false },
      seq: { start: 1, end: 1001, len: 1000 },
      ack: 5,
      win: 257,
      urg: 3,
      options: [],
    });
    const out = tcp('+0 > S 0:0(0)');
    expect(out.direction).toBe('outbound');
    expect(out.win).toBeUndefined();
    expect(out.ack).toBeUndefined();
  });

  it('reads every flag spelling', () => {
    const f = (s: string) => tcp(`+0 > ${s} 1:1(0)`).flags;
    expect(f('S.')).toMatchObject({ syn: true, ack: true });
    expect(f('.')).toMatchObject({ ack: true, syn: false });
    expect(f('F.')).toMatchObject({ fin: true, ack: true });
    expect(f('R')).toMatchObject({ rst: true, ack: false });
    expect(f('R.')).toMatchObject({ rst: true, ack: true });
    expect(f('FP.')).toMatchObject({ fin: true, psh: true, ack: true });
    expect(f('SEW')).toMatchObject({ syn: true, ece: true, cwr: true, ae: false });
    expect(f('SEWA')).toMatchObject({ ece: true, cwr: true, ae: true });
    expect(f('U.')).toMatchObject({ urg: true });
    expect(f('-')).toMatchObject({ text: '-', syn: false, ack: false, fin: false, rst: false });
    // ACE digits: P.5 lexes as P and .5, 5. as 5 and .
    expect(f('P.5')).toMatchObject({ text: 'P.5', psh: true, ack: true, ace: 5, ece: true, cwr: false, ae: true });
    expect(f('.6')).toMatchObject({ ace: 6, ece: false, cwr: true, ae: true });
    expect(f('5.')).toMatchObject({ text: '5.', ace: 5, ack: true });
    expect(f('F6.')).toMatchObject({ fin: true, ace: 6 });
  });

  it('reads every TCP option', () => {
    expect(bare(tcp('+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>').options)).toEqual([
      { name: 'mss', value: 1460 },
      { name: 'sackOK' },
      { name: 'timestamp', val: 100, ecr: 0 },
      { name: 'nop' },
      { name: 'wscale', value: 7 },
    ]);
    expect(bare(tcp('+0 > . 1:1(0) ack 1 <nop,eol,sack 1:2 3:4>').options)).toEqual([
      { name: 'nop' },
      { name: 'eol' },
      { name: 'sack', blocks: [{ left: 1, right: 2 }, { left: 3, right: 4 }] },
    ]);
    expect(bare(tcp('+0 > S 0:0(0) <FO 0123abcd,nop,nop,FOEXP,md5 000102030405060708090A0B0C0D0E0F,nop,nop>').options)).toEqual([
      { name: 'fastopen', experimental: false, cookie: '0123abcd' },
      { name: 'nop' },
      { name: 'nop' },
      { name: 'fastopen', experimental: true, cookie: '' },
      { name: 'md5', digest: '000102030405060708090a0b0c0d0e0f' },
      { name: 'nop' },
      { name: 'nop' },
    ]);
    expect(bare(tcp('+0 > S 0:0(0) <ECN e1b 1 ceb 0 e0b 1,nop>').options)).toEqual([
      { name: 'accecn', counters: [{ name: 'e1b', value: 1 }, { name: 'ceb', value: 0 }, { name: 'e0b', value: 1 }] },
      { name: 'nop' },
    ]);
    expect(bare(tcp('+0 > S 0:0(0) <mss 1460,nop,wscale 6,sackOK,TS val ... ecr 0>').options)).toContainEqual({ name: 'timestamp', val: 'any', ecr: 0 });
    expect(tcp('+0 > S 0:0(0) <...>').options).toBe('any');
    expect(tcp('+0 > S 0:0(0) < mss 1460 , nop , wscale 7 >').options).toHaveLength(3);
  });

  it('places options on their own line and column', () => {
    const o = tcp('+0 > S 0:0(0)\n   <mss 1460,\n    nop,wscale 7>').options;
    expect(o !== 'any' && o.map((x) => [x.name, x.line, x.column])).toEqual([
      ['mss', 2, 5],
      ['nop', 3, 5],
      ['wscale', 3, 9],
    ]);
  });

  it('reads IP header fields and explicit ports', () => {
    expect(bare(tcp('+0 > [ect0] P. 1:2(1) ack 1').ip)).toEqual({ ecn: 'ect0' });
    expect(bare(tcp('+0 < [ce] . 1:2(1) ack 1 win 5').ip)).toEqual({ ecn: 'ce' });
    expect(bare(tcp('+0 >[noecn] . 1:2(1) ack 1').ip)).toEqual({ ecn: 'noecn' });
    expect(bare(tcp('+0 > [ect01] . 1:2(1)').ip)).toEqual({ ecn: 'ect01' });
    expect(bare(tcp('+0 > (tos 0x10) . 1:2(1)').ip)).toEqual({ tos: 16 });
    expect(bare(tcp('+0 > (class 0x20) . 1:2(1)').ip)).toEqual({ tos: 32 });
    expect(bare(tcp('+0 > [ect1, flowlabel 0x12345] . 1:2(1)').ip)).toEqual({ ecn: 'ect1', flowLabel: 0x12345 });
    expect(bare(tcp('+0 < [ttl 3] . 1:2(1) win 9').ip)).toEqual({ ttl: 3 });
    expect(tcp('+0 < 40000 > 8080 S 0:0(0) win 1').ports).toEqual({ src: 40000, dst: 8080 });
  });
});

describe('UDP and ICMP packets', () => {
  it('reads UDP lines', () => {
    expect(bare(packet('+0 < udp (100)'))).toEqual({ direction: 'inbound', protocol: 'udp', len: 100 });
    expect(bare(packet('+0 > udp 53 > 1234 (8)'))).toMatchObject({ protocol: 'udp', ports: { src: 53, dst: 1234 }, len: 8 });
  });

  it('reads ICMP lines in packetdrill and NPLab order', () => {
    expect(bare(packet('+0 < icmp unreachable port_unreachable [1:1(0)]'))).toEqual({
      direction: 'inbound',
      protocol: 'icmp',
      type: 'unreachable',
      code: 'port_unreachable',
      quoted: { protocol: 'tcp', start: 1, end: 1, len: 0 },
    });
    expect(bare(packet('+0 < icmp packet_too_big mtu 1280 [1:1461(1460)]'))).toMatchObject({ type: 'packet_too_big', mtu: 1280, quoted: { len: 1460 } });
    expect(bare(packet('+0 < icmp unreachable [udp (100)]'))).toMatchObject({ quoted: { protocol: 'udp', len: 100 } });
    expect(bare(packet('+0 > icmp echo_reply id 7'))).toMatchObject({ type: 'echo_reply', echoId: 7 });
    expect(bare(packet('+0 < [4294967295:4294967295(0)] icmp unreachable port_unreachable'))).toMatchObject({
      protocol: 'icmp',
      code: 'port_unreachable',
      quoted: { protocol: 'tcp', start: 4294967295, len: 0 },
    });
  });
});

describe('system calls', () => {
  it('reads the name, arguments and result', () => {
    const e = one('0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 3');
    expect(bare(e.kind === 'syscall' && e.syscall)).toEqual({
      name: 'socket',
      args: [
        { kind: 'ellipsis' },
        { kind: 'or', left: { kind: 'word', name: 'SOCK_STREAM' }, right: { kind: 'word', name: 'SOCK_NONBLOCK' } },
        { kind: 'word', name: 'IPPROTO_TCP' },
      ],
      result: { kind: 'int', value: 3, text: '3' },
    });
    const noArgs = one('0 getpid() = ...');
    expect(bare(noArgs.kind === 'syscall' && noArgs.syscall)).toEqual({ name: 'getpid', args: [], result: { kind: 'ellipsis' } });
  });

  it('reads errno with its text, and a note without errno', () => {
    const e = one('+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
    expect(e.kind === 'syscall' && e.syscall.errno).toEqual({ name: 'EINPROGRESS', text: 'Operation now in progress' });
    expect(e.kind === 'syscall' && e.syscall.result).toMatchObject({ kind: 'int', value: -1n });
    const n = one('+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)');
    expect(n.kind === 'syscall' && [n.syscall.note, n.syscall.errno, n.syscall.result]).toEqual([
      'flags O_RDWR',
      undefined,
      expect.objectContaining({ value: 2n, text: '0x2' }),
    ]);
    const bareErrno = one('+0 connect(3, ..., ...) = -1 ECONNREFUSED\n+0 close(3) = 0'.split('\n')[0]);
    expect(bareErrno.kind === 'syscall' && bareErrno.syscall.errno).toEqual({ name: 'ECONNREFUSED' });
    const noteOnly = one('+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "", 0) = -1 (Invalid Argument)');
    expect(noteOnly.kind === 'syscall' && noteOnly.syscall.note).toBe('Invalid Argument');
  });

  it('reads arrays, structs, assignments, calls, strings, hex and big numbers', () => {
    expect(bare(args('+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0')[3])).toEqual({
      kind: 'struct',
      items: [
        { kind: 'assign', target: { kind: 'word', name: 'l_onoff' }, value: { kind: 'int', value: 1, text: '1' } },
        { kind: 'assign', target: { kind: 'word', name: 'l_linger' }, value: { kind: 'int', value: 0, text: '0' } },
      ],
    });
    expect(bare(args('+0 connect(3, {sa_family=AF_INET6, sin_port=htons(8080), sin_addr=inet6_addr("2001:db8::1")}, 28) = 0')[1])).toEqual({
      kind: 'struct',
      items: [
        { kind: 'assign', target: { kind: 'word', name: 'sa_family' }, value: { kind: 'word', name: 'AF_INET6' } },
        { kind: 'assign', target: { kind: 'word', name: 'sin_port' }, value: { kind: 'call', name: 'htons', args: [{ kind: 'int', value: 8080, text: '8080' }] } },
        { kind: 'assign', target: { kind: 'word', name: 'sin_addr' }, value: { kind: 'call', name: 'inet6_addr', args: [{ kind: 'string', value: '2001:db8::1', raw: '2001:db8::1', prefix: false }] } },
      ],
    });
    expect(bare(args('+0 poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 100) = 1')[0])).toMatchObject({
      kind: 'array',
      items: [{ kind: 'struct', items: [{ kind: 'assign' }, { kind: 'assign', value: { kind: 'or' } }, { kind: 'assign' }] }],
    });
    expect(bare(args('+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0}, 0) = 1000')[1])).toMatchObject({
      kind: 'struct',
      items: [
        { kind: 'assign', target: { kind: 'call', name: 'msg_name', args: [{ kind: 'ellipsis' }] }, value: { kind: 'ellipsis' } },
        { kind: 'assign', target: { kind: 'call', name: 'msg_iov', args: [{ kind: 'int', value: 1 }] }, value: { kind: 'array' } },
        { kind: 'assign' },
      ],
    });
    const s = args('+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "\\xa1\\x00" "ab\\n", 4) = 0')[3];
    expect(s).toMatchObject({ kind: 'string', raw: '\\xa1\\x00ab\\n', value: '\xa1\x00ab\n', prefix: false });
    expect(args('+0 write(4, "GET /"..., 100) = 100')[1]).toMatchObject({ kind: 'string', value: 'GET /', prefix: true });
    const big = args('+0 setsockopt(3, SOL_SOCKET, SO_MAX_PACING_RATE, [0xffffffffffffffff], 8) = 0')[3];
    expect(big).toMatchObject({ kind: 'array', items: [{ kind: 'int', value: 0xffffffffffffffffn, text: '0xffffffffffffffff' }] });
    expect(args('+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [sizeof(int)], [4]) = 0')[3]).toMatchObject({ kind: 'array', items: [{ kind: 'call', name: 'sizeof' }] });
    expect(args('+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT|EPOLLET, fd=4}) = 0')[3]).toMatchObject({ kind: 'struct' });
  });

  it('lets a call span lines', () => {
    const e = one('+0\tsetsockopt(3, SOL_SOCKET, SO_TIMESTAMPING,\n\t\t[A | B |\n\t\t C], 4) = 0');
    expect(e.kind === 'syscall' && bare(e.syscall.args[3])).toEqual({
      kind: 'array',
      items: [{ kind: 'or', left: { kind: 'or', left: { kind: 'word', name: 'A' }, right: { kind: 'word', name: 'B' } }, right: { kind: 'word', name: 'C' } }],
    });
  });
});

describe('commands, code and structure', () => {
  it('keeps untimed commands at the start and end, and timed ones as events', () => {
    const s = parse('`./defaults.sh\nsysctl -q a=1`\n0 close(3) = 0\n+0 `nstat > /dev/null`\n`/tmp/cleanup_${PPID}.sh`\n');
    expect(s.init).toEqual({ command: './defaults.sh\nsysctl -q a=1', line: 1, column: 1 });
    expect(s.cleanup).toEqual({ command: '/tmp/cleanup_${PPID}.sh', line: 5, column: 1 });
    expect(s.events.map((e) => e.kind)).toEqual(['syscall', 'command']);
    expect(s.events[1]).toMatchObject({ kind: 'command', command: 'nstat > /dev/null', line: 4 });
  });

  it('keeps a code block with its line, trimmed of spaces and tabs', () => {
    const e = one('+0 %{  \tassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd \t}%');
    expect(e.kind === 'code' && e.code.text).toBe('assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd');
    expect(e.kind === 'code' && e.code.statements).toHaveLength(1);
  });

  it('skips // and /* */ comments anywhere, also inside a line', () => {
    const e = events('/* a\n * b */ 0 close(3) = 0 // c\n+0 /* d */ > . 1:1(0) /* e */ ack 1');
    expect(e.map((x) => [x.kind, x.line])).toEqual([
      ['syscall', 2],
      ['packet', 3],
    ]);
  });

  it('reads header flags with their lines, and the defaults for the rest', () => {
    const s = parse('// x\n--tolerance_usecs=10000\n\n--ip_version=ipv6   // y\n--send_omit_free\n0 close(3) = 0');
    expect(s.flags).toEqual([
      { name: 'tolerance_usecs', value: '10000', where: { file: 't.pkt', line: 2 } },
      { name: 'ip_version', value: 'ipv6', where: { file: 't.pkt', line: 4 } },
      { name: 'send_omit_free', value: undefined, where: { file: 't.pkt', line: 5 } },
    ]);
    expect(s.options).toMatchObject({ toleranceUsecs: 10000, tolerancePercent: 12.5, ipVersion: 'ipv6', sendOmitFree: true });
    expect(s.events[0].line).toBe(6);
  });

  it('reads CRLF line ends as LF ones', () => {
    const text = '--mtu=1500\n// c\n`init`\n0 close(3) = -1 EBADF (Bad file descriptor)\n+0 %{\nassert a == 1, \\\n  a\n}%\n+0 > . 1:1(0) ack 1 <nop,nop,sack 1:2>\n';
    const lf = parsePacketdrill(text, 'a.pkt');
    const crlf = parsePacketdrill(text.replace(/\n/g, '\r\n'), 'a.pkt');
    // the same tree; only the raw text of the code block keeps its \r
    expect(JSON.stringify(bare(crlf)).replaceAll('\\r', '')).toBe(JSON.stringify(bare(lf)));
    expect(crlf.events.map((e) => e.line)).toEqual([4, 5, 9]);
  });

  it('replaces words defined with -D, but not packetdrill keywords', () => {
    const s = parsePacketdrill('--define=COOKIE=abcd1234\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = FD\n+0 < S 0:0(0) win 1 <FO COOKIE,nop,nop>', 't.pkt', {
      flags: [{ name: 'define', value: 'FD=3', where: { file: 'cli' } }],
    });
    expect(s.events[0].kind === 'syscall' && s.events[0].syscall.result).toMatchObject({ kind: 'int', value: 3n });
    const p = s.events[1].kind === 'packet' && s.events[1].packet;
    expect(p && p.protocol === 'tcp' && p.options).toMatchObject([{ name: 'fastopen', cookie: 'abcd1234' }, { name: 'nop' }, { name: 'nop' }]);
    // `win` is a keyword: a definition named win changes nothing
    const k = parsePacketdrill('--define=win=7\n0 < . 1:1(0) win 5', 't.pkt').events[0];
    expect(k.kind === 'packet' && k.packet.protocol === 'tcp' && k.packet.win).toBe(5);
    // a definition holding a string or a command becomes one
    const q = parsePacketdrill('--define=S="x"\n0 write(3, S, 1) = 1', 't.pkt').events[0];
    expect(q.kind === 'syscall' && q.syscall.args[1]).toMatchObject({ kind: 'string', value: 'x' });
  });
});
