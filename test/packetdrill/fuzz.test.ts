/**
 * Property tests: for any input the parser returns a script or throws an InputError
 * whose one-line message names the file and a line of the input; never anything else
 * (no TypeError, no stack overflow, no hang).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInputError } from '../../harness/input-error.js';
import { parsePacketdrill } from '../../harness/packetdrill/index.js';

function parsesOrRefuses(text: string): void {
  try {
    parsePacketdrill(text, 'f.pkt');
  } catch (e) {
    if (!isInputError(e)) throw e;
    const message = (e as Error).message;
    const m = /^f\.pkt:(\d+): ./.exec(message);
    if (!m || message.includes('\n')) throw new Error(`malformed message: ${JSON.stringify(message)}`);
    const lines = text.split('\n').length;
    if (Number(m[1]) < 1 || Number(m[1]) > lines) throw new Error(`line ${m[1]} outside the ${lines} lines of the input: ${message}`);
  }
}

/** pieces of the language, so random scripts get past the first token */
const PIECES = [
  '0', '+0', '+.1', '.25', '1.5', '*', '~', '+', '-', '-1', '...', '0...0.2', '\n', ' ', '\t', '//c\n', '/* c */', '/*', '*/',
  '<', '>', 'S', 'S.', '.', 'F.', 'R', 'P.5', '5.', 'SEWA', '0:0(0)', '1:1001(1000)', 'ack', 'win', 'urg', '1', '65535', '4294967296',
  '<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>', '<...>', '<nop,nop,sack 1:2>', '<FO abcd>', '<ECN e1b 1>', '<', ',', 'mss', 'sack',
  '[ect0]', '[', ']', '(', ')', '{', '}', '(tos 0x10)', 'icmp', 'udp', 'unreachable', 'ipv4', 'gre', '!',
  'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', 'close(3) = 0', 'fcntl(', '=', 'EINPROGRESS', '(Operation now in progress)', '|', 'O_NONBLOCK',
  '{l_onoff=1, l_linger=0}', 'htons(8080)', '"str\\x41"', '"', '`cmd`', '`', '%{ assert tcpi_rtt > 0 }%', '%{', '}%', '%{ print(1) }%',
  '--mtu=1500\n', '--foo\n', '--define=X=1\n', 'X', '0x1f', '192.0.2.1', 'TS', 'val', 'ecr',
];

/** what follows a time: directions, packet fields, calls and their arguments */
const BODY = [
  '<', '>', '< S 0:0(0) win 1', '> S. 0:0(0) ack 1', '> .', 'S', 'F.', 'R.', 'P.5', '-', '[ect0]', '(tos 0x2)', '[ttl 9]', '1:1(0)', '1:5(4)', '0:0(0)!',
  'ack 1', 'win 9', 'urg 1', '<mss 1460>', '<nop,nop,TS val 1 ecr 2>', '<sackOK,nop,nop,sack 1:2 3:4>', '<FO abcd,nop,nop>', '<...>', '<md5 00>', '<wscale 9>',
  'icmp unreachable', '[1:1(0)]', 'udp (1)', '4 > 5', '{mut tcp mss}', '/udp(1 > 2)', 'ipv6 ::1 > ::2:',
  'socket(..., SOCK_STREAM, IPPROTO_TCP)', 'close(3)', 'f(', ')', '= 0', '= -1 EAGAIN (Resource temporarily unavailable)', '= 0x2 (flags O_RDWR)', '= ...',
  '[1]', '{a=1, b=[2|3]}', 'msg_iov(1)=[{..., 9}]', '"s"...', ',', '|', '`true`', '%{ assert tcpi_state == 1, tcpi_state }%', '%{ x = }%',
];

const fixtures = (() => {
  const dir = join(import.meta.dirname, 'fixtures');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pkt'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
})();

describe('the parser never crashes', () => {
  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), parsesOrRefuses), { numRuns: 1000 });
  });

  it('on random sequences of the language’s pieces', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }), fc.constantFrom('', ' ', '\n'), (pieces, sep) => parsesOrRefuses(pieces.join(sep))), { numRuns: 2000 });
  });

  it('on random lines: a time, then pieces of packets and calls', () => {
    const time = fc.constantFrom('0', '+0', '+.1', '0.1', '*', '0~1', '+0~+.1', '+0...0.2', '1.0~0.5', '');
    const line = fc.tuple(time, fc.array(fc.constantFrom(...BODY), { minLength: 1, maxLength: 8 })).map(([t, body]) => `${t} ${body.join(' ')}`);
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => parsesOrRefuses(lines.join('\n'))), { numRuns: 3000 });
  });

  it('on edited copies of well-formed scripts', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })) }),
      fc.record({ kind: fc.constant('copy' as const), at: fc.nat(), from: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(edit, { minLength: 1, maxLength: 4 }), (text, edits) => {
        let t = text;
        for (const e of edits) {
          const at = e.at % (t.length + 1);
          if (e.kind === 'delete') t = t.slice(0, at) + t.slice(at + e.len);
          else if (e.kind === 'insert') t = t.slice(0, at) + e.text + t.slice(at);
          else t = t.slice(0, at) + t.slice(e.from % (t.length + 1), (e.from % (t.length + 1)) + e.len) + t.slice(at);
        }
        parsesOrRefuses(t);
      }),
      { numRuns: 2000 },
    );
  });

  it('on deep nesting', () => {
    for (const open of ['[', '{', '(']) parsesOrRefuses(`0 f(${open.repeat(100_000)}`);
    parsesOrRefuses(`0 %{ assert ${'-'.repeat(100_000)}1 }%`);
    parsesOrRefuses(`0 f(${'a='.repeat(100_000)}1) = 0`);
    expect(() => parsePacketdrill(`0 f(${'1|'.repeat(10_000)}1) = 0`, 'f.pkt')).not.toThrow();
  });
});
