/** The lexer: packetdrill's token rules (longest match), places, comments and -D definitions. */
import { describe, expect, it } from 'vitest';
import { decodeCString, tokenize } from '../../harness/packetdrill/lexer.js';

const kinds = (text: string, defines?: Record<string, string>) => tokenize(text, 'l.pkt', { defines }).map((t) => `${t.kind}:${t.text}`);

describe('lexer', () => {
  it('takes the longest match among addresses, floats and word runs', () => {
    expect(kinds('0...0.200 .1 +.5 -1 -0.5 0x1F 0x1Fz 192.0.2.1 01234567aabb 00000000 P5 1:1001(1000)')).toEqual([
      'int:0', 'ellipsis:...', 'float:0.200', 'float:.1', 'punct:+', 'float:.5', 'int:-1', 'float:-0.5', 'hex:0x1F', 'word:0x1Fz',
      'address:192.0.2.1', 'word:01234567aabb', 'int:00000000', 'word:P5', 'int:1', 'punct::', 'int:1001', 'punct:(', 'int:1000', 'punct:)', 'eof:',
    ]);
    expect(kinds('S. P.5 5. - --')).toEqual(['word:S', 'punct:.', 'word:P', 'float:.5', 'int:5', 'punct:.', 'punct:-', 'punct:-', 'punct:-', 'eof:']);
  });

  it('makes single tokens of strings, commands and code, and drops comments', () => {
    expect(kinds('"a\\"b" `x\ny` %{  a = 1\t }% // gone\n/* gone\n*/ x')).toEqual(['string:a\\"b', 'backquote:x\ny', 'code:a = 1', 'word:x', 'eof:']);
  });

  it('counts lines and columns from the offset it starts at, tabs as one column', () => {
    const text = '--mtu=1\n  a\n\tb /* x\n y */ c\r\n"s\nt" d';
    const toks = tokenize(text, 'l.pkt', { offset: 8, line: 2 });
    expect(toks.map((t) => [t.text, t.line, t.column])).toEqual([
      ['a', 2, 3],
      ['b', 3, 2],
      ['c', 4, 7],
      ['s\nt', 5, 1],
      ['d', 6, 4],
      ['', 6, 5],
    ]);
  });

  it('replaces defined words, once, where they stood, but not keywords or numbers', () => {
    const toks = tokenize('A win B 7 C', 'l.pkt', { defines: { A: 'x | y', win: '9', B: 'A', 7: '8', C: '"q"' } });
    expect(toks.map((t) => `${t.kind}:${t.text}@${t.column}`)).toEqual(['word:x@1', 'punct:|@1', 'word:y@1', 'word:win@3', 'word:A@7', 'int:7@9', 'string:q@11', 'eof:@12']);
  });
});

describe('C strings', () => {
  it('decodes C escapes', () => {
    expect(decodeCString('a\\x41\\101\\n\\t\\\\\\"\\0z')).toBe('aAA\n\t\\"\x00z');
    expect(decodeCString('\\xa1\\xA1')).toBe('\xa1\xa1');
  });
});
