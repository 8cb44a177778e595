/** %{ }% blocks: the assertion subset becomes statements; anything else stays raw with a reason. */
import { describe, expect, it } from 'vitest';
import { parseCodeBlock } from '../../harness/packetdrill/index.js';

const name = (n: string) => ({ kind: 'name', name: n });
const num = (value: number) => ({ kind: 'num', value });

describe('%{ }% assertion blocks', () => {
  it('reads assert with a message, on the block line and the following ones', () => {
    const b = parseCodeBlock('\nassert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state\nassert tcpi_snd_cwnd == 7, tcpi_snd_cwnd\n', 10);
    expect(b.unparsed).toBeUndefined();
    expect(b.statements).toEqual([
      { kind: 'assert', line: 11, test: { kind: 'compare', left: name('tcpi_ca_state'), rest: [{ op: '==', right: name('TCP_CA_Recovery') }] }, message: name('tcpi_ca_state') },
      { kind: 'assert', line: 12, test: { kind: 'compare', left: name('tcpi_snd_cwnd'), rest: [{ op: '==', right: num(7) }] }, message: name('tcpi_snd_cwnd') },
    ]);
  });

  it('follows Python precedence: bit operations bind tighter than comparisons, and/or loosest', () => {
    const b = parseCodeBlock('assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0 and not tcpi_probes or 1 + 2 * 3 == 7', 1);
    expect(b.statements?.[0]).toEqual({
      kind: 'assert',
      line: 1,
      test: {
        kind: 'bool',
        op: 'or',
        left: {
          kind: 'bool',
          op: 'and',
          left: { kind: 'compare', left: { kind: 'binary', op: '&', left: name('tcpi_options'), right: name('TCPI_OPT_SYN_DATA') }, rest: [{ op: '!=', right: num(0) }] },
          right: { kind: 'unary', op: 'not', operand: name('tcpi_probes') },
        },
        right: {
          kind: 'compare',
          left: { kind: 'binary', op: '+', left: num(1), right: { kind: 'binary', op: '*', left: num(2), right: num(3) } },
          rest: [{ op: '==', right: num(7) }],
        },
      },
    });
    const flags = parseCodeBlock('assert tcpi_options == (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE)', 1).statements?.[0];
    expect(flags).toMatchObject({ test: { kind: 'compare', rest: [{ op: '==', right: { kind: 'binary', op: '|', left: { kind: 'binary', op: '|' } } }] } });
  });

  it('reads chained comparisons, %-formatted messages, hex, floats, negatives and shifts', () => {
    const b = parseCodeBlock("assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt\nassert tcpi_x >> 2 == -0x10 + 1.5e1 // 3", 4);
    expect(b.statements?.[0]).toEqual({
      kind: 'assert',
      line: 4,
      test: { kind: 'compare', left: num(5000), rest: [{ op: '<=', right: name('tcpi_rtt') }, { op: '<=', right: num(20000) }] },
      message: { kind: 'binary', op: '%', left: { kind: 'str', value: 'srtt=%d us' }, right: name('tcpi_rtt') },
    });
    expect(b.statements?.[1]).toMatchObject({
      line: 5,
      test: {
        kind: 'compare',
        left: { kind: 'binary', op: '>>' },
        rest: [{ op: '==', right: { kind: 'binary', op: '+', left: { kind: 'unary', op: '-', operand: num(16) }, right: { kind: 'binary', op: '//', left: num(15), right: num(3) } } }],
      },
    });
  });

  it('reads assignments, ; separators, \\ continuations and # comments', () => {
    const b = parseCodeBlock('TCP_INFINITE_SSTHRESH = 0x7fffffff # a comment\nassert tcpi_probes == 0, tcpi_probes; \\\n  assert tcpi_backoff == 0', 7);
    expect(b.statements).toEqual([
      { kind: 'assign', line: 7, name: 'TCP_INFINITE_SSTHRESH', value: num(0x7fffffff) },
      { kind: 'assert', line: 8, test: { kind: 'compare', left: name('tcpi_probes'), rest: [{ op: '==', right: num(0) }] }, message: name('tcpi_probes') },
      { kind: 'assert', line: 9, test: { kind: 'compare', left: name('tcpi_backoff'), rest: [{ op: '==', right: num(0) }] } },
    ]);
  });

  it('keeps other Python raw, saying why and where', () => {
    expect(parseCodeBlock('print("rtt %d" % tcpi_rtt)', 3)).toEqual({ text: 'print("rtt %d" % tcpi_rtt)', unparsed: 'line 3: expected an assert or NAME = value, found "print"' });
    expect(parseCodeBlock('assert len(x) == 1', 3).unparsed).toBe('line 3: calls, attributes and indexing are not in the assertion subset (after len), found "("');
    expect(parseCodeBlock('\nif tcpi_rtt > 5:\n  assert 0', 3).unparsed).toBe('line 4: expected an assert or NAME = value, found "if"');
    expect(parseCodeBlock('assert tcpi_rtt >', 1).unparsed).toBe('line 1: expected a number, a string, a name or "(", found the end');
    expect(parseCodeBlock('assert a b', 1).unparsed).toBe('line 1: expected the end of the statement, found "b"');
    expect(parseCodeBlock("assert 'open", 2).unparsed).toBe('line 2: unterminated string');
    expect(parseCodeBlock('assert a @ b', 1).unparsed).toBe('line 1: unexpected character "@"');
    expect(parseCodeBlock(`assert ${'('.repeat(200)}1${')'.repeat(200)}`, 1).unparsed).toBe('line 1: parentheses nest deeper than 64 levels, found "("');
    expect(parseCodeBlock(`assert ${'not '.repeat(200)}1`, 1).unparsed).toBe('line 1: operators nest deeper than 64 levels, found "not"');
  });

  it('accepts an empty block', () => {
    expect(parseCodeBlock('', 1)).toEqual({ text: '', statements: [] });
  });
});
