/**
 * Packet lines after the direction: `[ect0] S. 0:0(0) ack 1 win 65535 <mss 1460,...>`,
 * `udp (100)`, `icmp unreachable port_unreachable [1:1(0)]`.
 */
import type { IcmpPacket, IpInfo, Packet, TcpFlags, TcpOption, TcpPacket, Wild } from './ast.js';
import type { Token } from './lexer.js';
import { describe, type Tokens } from './tokens.js';

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;

const ECN_MARKS = new Set(['noecn', 'ect0', 'ect1', 'ce', 'ect01']);
const ENCAPSULATION = new Set(['ipv4', 'ipv6', 'gre', 'GREv0', 'mpls']);

export function parsePacket(ts: Tokens, dirToken: Token): Packet {
  const direction = dirToken.text === '<' ? 'inbound' : 'outbound';
  // Object.assign rather than spreads: object spread is slow on this hot path
  const base = { direction, line: dirToken.line, column: dirToken.column } as const;
  const first = ts.peek();
  if (first.kind === 'word' && ENCAPSULATION.has(first.text)) throw ts.unsupported(first, `encapsulated packets (${first.text} …:)`);
  // NPLab's packetdrill writes the quoted segment before `icmp`: `< [1:1(0)] icmp unreachable ...`
  if (ts.is('[') && ts.isKind('int', 1) && ts.is(':', 2)) {
    const quoted = parseQuotedSegment(ts);
    const icmp = ts.peek();
    if (!ts.is('icmp')) throw ts.error(icmp, `expected "icmp" after the quoted segment, found ${describe(icmp)}`);
    ts.next();
    return Object.assign(parseIcmp(ts), base, { quoted });
  }
  const ip = parseIpInfo(ts);
  if (ip?.ecn === 'ect01' && direction === 'inbound') throw ts.error(first, '[ect01] can only be used with outbound packets');
  if (ts.accept('udp')) {
    if (ip?.ecn) throw ts.error(first, 'ECN can only be used with TCP packets');
    const ports = parsePorts(ts);
    ts.expect('(', 'before the UDP payload length');
    const len = ts.integer('UDP payload length', U16);
    ts.expect(')', 'after the UDP payload length');
    return Object.assign({ protocol: 'udp' as const, len }, base, { ip, ports });
  }
  if (ts.accept('icmp')) return Object.assign(parseIcmp(ts), base, { ip });
  const ports = parsePorts(ts);
  return Object.assign(parseTcp(ts, direction), base, { ip, ports });
}

function parseIpInfo(ts: Tokens): IpInfo | undefined {
  const open = ts.peek();
  if (!ts.is('[') && !ts.is('(')) return undefined;
  ts.next();
  const close = open.text === '[' ? ']' : ')';
  const ip: IpInfo = { line: open.line, column: open.column };
  do {
    const t = ts.next();
    if (t.kind === 'word' && ECN_MARKS.has(t.text)) ip.ecn = t.text as IpInfo['ecn'];
    // NPLab's packetdrill calls IPv6's traffic class `class`: the same byte as IPv4's TOS
    else if (t.text === 'tos' || t.text === 'class') ip.tos = hexValue(ts, t.text, U8);
    else if (t.text === 'flowlabel') ip.flowLabel = hexValue(ts, 'flowlabel', 0xfffff);
    else if (t.text === 'ttl') ip.ttl = ts.integer('ttl', U8);
    else throw ts.error(t, `expected noecn, ect0, ect1, ce, ect01, tos, class, flowlabel or ttl in ${open.text}${close}, found ${describe(t)}`);
  } while (ts.accept(','));
  ts.expect(close, `to close the IP fields opened with "${open.text}"`);
  return ip;
}

function hexValue(ts: Tokens, what: string, max: number): number {
  const t = ts.next();
  if (t.kind !== 'hex') throw ts.error(t, `${what} takes a hex number like 0x10, found ${describe(t)}`);
  const v = parseInt(t.text, 16);
  if (v > max) throw ts.error(t, `${what} ${t.text} is out of range`);
  return v;
}

function parsePorts(ts: Tokens): { src: number; dst: number } | undefined {
  if (!(ts.isKind('int') && ts.is('>', 1))) return undefined;
  const src = ts.integer('source port', U16);
  ts.next();
  return { src, dst: ts.integer('destination port', U16) };
}

function parseIcmp(ts: Tokens): Pick<IcmpPacket, 'protocol' | 'type' | 'code' | 'mtu' | 'echoId' | 'quoted'> {
  const type = ts.next();
  if (type.kind !== 'word') throw ts.error(type, `expected an ICMP type (e.g. unreachable), found ${describe(type)}`);
  const icmp: ReturnType<typeof parseIcmp> = { protocol: 'icmp', type: type.text };
  if (ts.isKind('word') && !ts.is('mtu') && !ts.is('id')) icmp.code = ts.next().text;
  if (ts.accept('mtu')) icmp.mtu = ts.integer('ICMP mtu', U16);
  if (ts.accept('id')) icmp.echoId = ts.integer('ICMP echo id', U16);
  if (ts.is('[')) icmp.quoted = parseQuotedSegment(ts);
  return icmp;
}

function parseQuotedSegment(ts: Tokens): NonNullable<IcmpPacket['quoted']> {
  ts.expect('[', 'before the quoted segment');
  let quoted: NonNullable<IcmpPacket['quoted']>;
  if (ts.is('udp') || ts.is('raw')) {
    const protocol = ts.next().text as 'udp' | 'raw';
    ts.expect('(', `after ${protocol}`);
    quoted = { protocol, len: ts.integer(`${protocol} length`, U16) };
    ts.expect(')', `after the ${protocol} length`);
  } else {
    quoted = { protocol: 'tcp', ...parseSeq(ts) };
  }
  ts.expect(']', 'after the quoted segment');
  return quoted;
}

function parseSeq(ts: Tokens): { start: number; end: number; len: number } {
  const at = ts.peek();
  const start = ts.integer('start sequence number', U32);
  ts.expect(':', 'between the start and end sequence numbers');
  const end = ts.integer('end sequence number', U32);
  ts.expect('(', 'before the payload length');
  const len = ts.integer('payload length', U16);
  ts.expect(')', 'after the payload length');
  if (end !== start + len) throw ts.error(at, `inconsistent TCP sequence numbers and payload size: ${start}:${end}(${len}) (end must be start + length)`);
  return { start, end, len };
}

const FLAG_CHARS = '.FSRPEWAU01234567';

/** Flags are written without spaces but lex as several tokens (`P.5` is P and .5): join the adjacent ones. */
function parseFlags(ts: Tokens): TcpFlags {
  const first = ts.peek();
  const joinable = (t: Token): boolean => t.kind === 'word' || t.kind === 'int' || t.kind === 'float' || (t.kind === 'punct' && (t.text === '.' || t.text === '-'));
  if (!joinable(first)) throw ts.error(first, `expected TCP flags (S, S., ., F., R, P., …), found ${describe(first)}`);
  let text = ts.next().text;
  let end = first.end;
  while (joinable(ts.peek()) && ts.peek().start === end) {
    end = ts.peek().end;
    text += ts.next().text;
  }
  const flags: TcpFlags = { text, syn: false, ack: false, fin: false, rst: false, psh: false, urg: false, ece: false, cwr: false, ae: false };
  if (text === '-') return flags;
  let ecnLetter = false;
  for (const ch of text) {
    if (!FLAG_CHARS.includes(ch)) throw ts.error(first, `invalid TCP flag '${ch}' in "${text}" (flags: . F S R P E W A U, or an ACE digit 0-7)`);
    const digit = /[0-7]/.test(ch);
    if ((digit && (ecnLetter || flags.ace !== undefined)) || (!digit && 'EWA'.includes(ch) && flags.ace !== undefined)) {
      throw ts.error(first, `conflicting TCP flag '${ch}' in "${text}" (an ACE digit replaces E, W and A)`);
    }
    if (digit) flags.ace = Number(ch);
    if ('EWA'.includes(ch)) ecnLetter = true;
  }
  const has = (ch: string): boolean => text.includes(ch);
  Object.assign(flags, { syn: has('S'), ack: has('.'), fin: has('F'), rst: has('R'), psh: has('P'), urg: has('U') });
  if (flags.ace !== undefined) Object.assign(flags, { ece: (flags.ace & 1) !== 0, cwr: (flags.ace & 2) !== 0, ae: (flags.ace & 4) !== 0 });
  else Object.assign(flags, { ece: has('E'), cwr: has('W'), ae: has('A') });
  return flags;
}

function parseTcp(ts: Tokens, direction: 'inbound' | 'outbound'): Pick<TcpPacket, 'protocol' | 'flags' | 'seq' | 'ack' | 'win' | 'urg' | 'options'> {
  const flagsAt = ts.peek();
  const flags = parseFlags(ts);
  const seq = parseSeq(ts);
  if (ts.is('!')) throw ts.unsupported(ts.peek(), '"!" after the sequence numbers (NPLab packetdrill)');
  const tcp: ReturnType<typeof parseTcp> = { protocol: 'tcp', flags, seq, options: [] };
  if (ts.accept('ack')) tcp.ack = ts.integer('ack number', U32);
  if (ts.accept('win')) tcp.win = ts.integer('window', U16);
  if (ts.accept('urg')) tcp.urg = ts.integer('urgent pointer', U16);
  if (tcp.win === undefined && direction === 'inbound') throw ts.error(flagsAt, 'window must be specified for inbound packets (win N)');
  if (ts.is('<')) tcp.options = parseOptions(ts, direction);
  const after = ts.peek();
  if (ts.is('{')) throw ts.unsupported(after, 'packet fuzzing ({...} after a packet)');
  if (ts.is('/') && ts.is('udp', 1)) throw ts.unsupported(after, 'TCP over UDP encapsulation (/udp(...), NPLab packetdrill)');
  return tcp;
}

/** Option lengths in bytes, for packetdrill's check that they fill whole 32-bit words. */
function optionBytes(o: TcpOption): number {
  switch (o.name) {
    case 'nop':
    case 'eol':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'fastopen':
      return (o.experimental ? 4 : 2) + o.cookie.length / 2;
    case 'md5':
      return 2 + o.digest.length / 2;
    case 'accecn':
      return 2 + 3 * o.counters.length;
  }
}

function parseOptions(ts: Tokens, direction: 'inbound' | 'outbound'): TcpOption[] | 'any' {
  const open = ts.expect('<', 'before the TCP options');
  if (ts.isKind('ellipsis')) {
    ts.next();
    ts.expect('>', 'after <...');
    if (direction === 'inbound') throw ts.error(open, '<...> for TCP options can only be used with outbound packets');
    return 'any';
  }
  const options: TcpOption[] = [];
  do options.push(parseOption(ts));
  while (ts.accept(','));
  ts.expect('>', 'after the TCP options (options are separated by commas)');
  const bytes = options.reduce((n, o) => n + optionBytes(o), 0);
  if (bytes > 40) throw ts.error(open, `TCP options take ${bytes} bytes, more than the 40 a TCP header has room for`);
  if (bytes % 4 !== 0) throw ts.error(open, `TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: ${bytes % 4} excess bytes`);
  return options;
}

/** `...` or an integer: TS val and ecr may be left open. */
function wild(ts: Tokens, what: string): Wild {
  if (ts.isKind('ellipsis')) {
    ts.next();
    return 'any';
  }
  return ts.integer(what, U32);
}

/** A hex string written as a word or a number (`abcd1234`, `00000000`), or absent. */
function hexBlob(ts: Tokens, what: string, required: boolean): string {
  const t = ts.peek();
  if (t.kind !== 'word' && t.kind !== 'int') {
    if (required) throw ts.error(t, `${what} takes a hex string, found ${describe(t)}`);
    return '';
  }
  ts.next();
  if (!/^([0-9a-fA-F]{2})*$/.test(t.text)) {
    if (/^[0-9a-fA-F]*$/.test(t.text)) throw ts.error(t, `${what} "${t.text}" has an odd number of hex digits`);
    throw ts.error(t, `${what} "${t.text}" is not a hex string${/^[A-Za-z_]/.test(t.text) ? ' (is it a -D name with no definition?)' : ''}`);
  }
  return t.text.toLowerCase();
}

function parseOption(ts: Tokens): TcpOption {
  const t = ts.next();
  const { line, column } = t;
  switch (t.kind === 'word' ? t.text : '') {
    case 'nop':
      return { name: 'nop', line, column };
    case 'eol':
      return { name: 'eol', line, column };
    case 'sackOK':
      return { name: 'sackOK', line, column };
    case 'mss':
      return { name: 'mss', value: ts.integer('mss', U16), line, column };
    case 'wscale':
      return { name: 'wscale', value: ts.integer('window scale shift count', U8), line, column };
    case 'sack': {
      const blocks: { left: number; right: number }[] = [];
      do {
        const left = ts.integer('SACK block left edge (left:right)', U32);
        ts.expect(':', 'between the edges of a SACK block');
        blocks.push({ left, right: ts.integer('SACK block right edge', U32) });
      } while (ts.isKind('int'));
      return { name: 'sack', blocks, line, column };
    }
    case 'TS': {
      ts.expect('val', 'after TS');
      const val = wild(ts, 'TS val');
      ts.expect('ecr', 'after the TS val');
      return { name: 'timestamp', val, ecr: wild(ts, 'TS ecr'), line, column };
    }
    case 'FO':
    case 'FOEXP':
      return { name: 'fastopen', experimental: t.text === 'FOEXP', cookie: hexBlob(ts, 'the fast open cookie', false), line, column };
    case 'md5':
      return { name: 'md5', digest: hexBlob(ts, 'the md5 digest', true), line, column };
    case 'ECN': {
      const counters: { name: 'e0b' | 'e1b' | 'ceb'; value: number }[] = [];
      while (ts.is('e0b') || ts.is('e1b') || ts.is('ceb')) {
        const name = ts.next().text as 'e0b' | 'e1b' | 'ceb';
        counters.push({ name, value: ts.integer(`AccECN ${name} counter`, 0xffffff) });
      }
      return { name: 'accecn', counters, line, column };
    }
    default:
      throw ts.error(t, `unknown TCP option ${describe(t)} (known: nop, eol, mss, wscale, sackOK, sack, TS val … ecr …, FO, FOEXP, md5, ECN)`);
  }
}
