import { describe, expect, it } from 'vitest';
import { parsePattern, parsePatterns, patternText, PatternError, type SegmentPattern } from '../../harness/expect/index.js';
import { InputError } from '../../harness/input-error.js';

function seg(text: string): SegmentPattern {
  const p = parsePattern(text);
  if (p.kind !== 'segment') throw new Error(`${text} parsed as ${p.kind}`);
  return p;
}

/** The PatternError `text` raises; its column must point at `at` (the first occurrence after `from`). */
function errorOf(text: string, index?: number): PatternError {
  try {
    parsePattern(text, index);
  } catch (e) {
    expect(e).toBeInstanceOf(PatternError);
    return e as PatternError;
  }
  throw new Error(`"${text}" parsed without error`);
}

function expectColumn(text: string, at: string, from = 0): PatternError {
  const e = errorOf(text);
  const want = text.indexOf(at, from);
  if (want < 0) throw new Error(`test bug: "${at}" not in "${text}"`);
  expect(e.column, `column of the error in "${text}" (${e.reason})`).toBe(want);
  return e;
}

describe('parsePattern: the text form', () => {
  it('reads from, to and flags', () => {
    expect(seg('client > server SYN')).toMatchObject({ kind: 'segment', from: 'client', to: 'server', flags: ['SYN'], optionalFlags: [] });
    expect(seg('server > client SYN ACK')).toMatchObject({ flags: ['SYN', 'ACK'] });
    expect(seg('client > server FIN ACK').flags).toEqual(['FIN', 'ACK']);
  });

  it('keeps the text it was given', () => {
    const text = 'client  >  server   RST ACK seq=1';
    expect(parsePattern(text).text).toBe(text);
  });

  it('accepts every flag name and lower case', () => {
    expect(seg('a > b SYN FIN RST PSH ACK URG ECE CWR').flags).toEqual(['SYN', 'FIN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR']);
    expect(seg('a > b syn ack').flags).toEqual(['SYN', 'ACK']);
  });

  it('reads optional flags written with ?', () => {
    expect(seg('client > server PSH? ACK len<=536')).toMatchObject({ flags: ['ACK'], optionalFlags: ['PSH'], len: { kind: 'number', op: '<=', value: 536 } });
    expect(seg('client > server PSH?')).toMatchObject({ flags: [], optionalFlags: ['PSH'] });
  });

  it('reads numbers with every comparator', () => {
    const p = seg('c > s ACK seq=1 ack>=2 len<100 win>0 mss!=536');
    expect(p.seq).toEqual({ kind: 'number', op: '=', value: 1 });
    expect(p.ack).toEqual({ kind: 'number', op: '>=', value: 2 });
    expect(p.len).toEqual({ kind: 'number', op: '<', value: 100 });
    expect(p.win).toEqual({ kind: 'number', op: '>', value: 0 });
    expect(p.mss).toEqual({ kind: 'number', op: '!=', value: 536 });
    expect(seg('c > s ACK win<=65535').win).toEqual({ kind: 'number', op: '<=', value: 65535 });
  });

  it('reads ack=fin+1, ack=syn+1, seq=+len and ack=+len', () => {
    expect(seg('server > client ACK ack=fin+1').ack).toEqual({ kind: 'acks', what: 'fin' });
    expect(seg('client > server ACK ack=syn+1').ack).toEqual({ kind: 'acks', what: 'syn' });
    expect(seg('client > server PSH ACK seq=+len').seq).toEqual({ kind: 'next' });
    expect(seg('server > client ACK ack=+len').ack).toEqual({ kind: 'next' });
  });

  it('reads options: bare (present), =none (absent), numbers', () => {
    const p = seg('client > server SYN mss=1460 wscale=7 ts sackOK');
    expect(p.mss).toEqual({ kind: 'number', op: '=', value: 1460 });
    expect(p.wscale).toEqual({ kind: 'number', op: '=', value: 7 });
    expect(p.ts).toEqual({ kind: 'present' });
    expect(p.sackOK).toEqual({ kind: 'present' });
    const q = seg('client > server ACK mss=none ts=none sackOK=none wscale=none');
    expect(q.mss).toEqual({ kind: 'absent' });
    expect(q.ts).toEqual({ kind: 'absent' });
    expect(q.sackOK).toEqual({ kind: 'absent' });
    expect(q.wscale).toEqual({ kind: 'absent' });
    expect(seg('client > server SYN mss').mss).toEqual({ kind: 'present' });
    expect(seg('client > server SYN mss<=1460').mss).toEqual({ kind: 'number', op: '<=', value: 1460 });
  });

  it('reads opts=[…] as option names in order', () => {
    expect(seg('client > server SYN opts=[mss,sackOK,ts,nop,wscale]').opts).toEqual(['mss', 'sackOK', 'ts', 'nop', 'wscale']);
    expect(seg('client > server SYN opts=[]').opts).toEqual([]);
    expect(seg('client > server SYN opts=[mss, nop]').opts).toEqual(['mss', 'nop']);
  });

  it('reads ... as any run', () => {
    expect(parsePattern('...')).toEqual({ kind: 'any', text: '...' });
    expect(parsePattern('  ...  ')).toMatchObject({ kind: 'any' });
  });
});

describe('parsePattern: errors point at the column', () => {
  it('a missing ">"', () => {
    const e = expectColumn('client server SYN', 'server');
    expect(e.reason).toMatch(/<from> > <to>/);
    expectColumn('client>server SYN', 'SYN');
  });

  it('a pattern that ends too early points past its end', () => {
    expect(errorOf('client >').column).toBe('client >'.length);
    expect(errorOf('client').column).toBe('client'.length);
    expect(errorOf('').column).toBe(0);
  });

  it('no flags: points past the end, or at the first key', () => {
    expect(errorOf('client > server').column).toBe('client > server'.length);
    const e = expectColumn('client > server seq=1', 'seq=1');
    expect(e.reason).toMatch(/at least one flag/);
  });

  it('an unknown flag', () => {
    const e = expectColumn('client > server SYNN', 'SYNN');
    expect(e.reason).toContain('unknown flag "SYNN"');
    expectColumn('client > server SYN AKC', 'AKC');
    expectColumn('client > server ACK PSH?? len=1', 'PSH??');
  });

  it('an unknown key', () => {
    const e = expectColumn('client > server SYN foo=1', 'foo=1');
    expect(e.reason).toContain('"foo=1"');
    expectColumn('client > server SYN ACK seq', 'seq');
    expectColumn('client > server SYN MSS', 'MSS');
  });

  it('a bad value points at the value, not the key', () => {
    expectColumn('client > server ACK ack=fin+2', 'fin+2');
    expectColumn('client > server ACK seq=abc', 'abc');
    expectColumn('client > server ACK len=+len', '+len');
    expectColumn('client > server ACK seq=fin+1', 'fin+1');
    expectColumn('client > server ACK ack>=fin+1', 'fin+1');
    expectColumn('client > server SYN mss=big', 'big');
    expectColumn('client > server SYN mss<=x', 'x');
    expectColumn('client > server SYN ts=1', '1', 'client > server SYN ts='.length);
  });

  it('a bad opts list', () => {
    const e = expectColumn('client > server SYN opts=[mss,bogus,ts]', 'bogus');
    expect(e.reason).toContain('unknown option "bogus"');
    expectColumn('client > server SYN opts=mss', 'mss', 'client > server SYN opts='.length);
  });

  it('a bad opts entry that is a substring of an earlier entry still points at itself', () => {
    expectColumn('client > server SYN opts=[wscale,scale]', 'scale', 'client > server SYN opts=[wscale,'.length);
  });

  it('the message names the pattern, the 1-based column, and draws a caret under it', () => {
    const text = 'client > server SYN ACK ack=fin+2';
    const e = errorOf(text, 2);
    const col = text.indexOf('fin+2');
    expect(e.message).toContain(`segment pattern 3 "${text}"`);
    expect(e.message).toContain(`at column ${col + 1}`);
    const lines = e.message.split('\n');
    expect(lines[1]).toBe(`  ${text}`);
    expect(lines[2]).toBe(`  ${' '.repeat(col)}^`);
    expect(e.pattern).toBe(text);
    expect(e.index).toBe(2);
    expect(e.name).toBe('PatternError');
  });

  it('without an index the message says just "segment pattern"', () => {
    expect(errorOf('a b c').message).toMatch(/^segment pattern "a b c"/);
  });
});

describe('parsePatterns and the object form', () => {
  it('numbers the pattern that fails', () => {
    try {
      parsePatterns(['client > server SYN', '...', 'server > client SYN ACK bogus']);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(PatternError);
      expect((e as PatternError).index).toBe(2);
      expect((e as Error).message).toContain('segment pattern 3');
      expect((e as PatternError).column).toBe('server > client SYN ACK '.length);
    }
  });

  it('rejects something that is not an array', () => {
    expect(() => parsePatterns('client > server SYN' as never)).toThrow(InputError);
  });

  it('turns objects into the same patterns as text', () => {
    const [fromObject] = parsePatterns([
      { from: 'client', to: 'server', flags: ['SYN'], mss: 1460, wscale: true, ts: true, sackOK: false, opts: ['mss', 'sackOK', 'ts', 'nop', 'wscale'] },
    ]);
    const fromText = parsePattern('client > server SYN mss=1460 wscale ts sackOK=none opts=[mss,sackOK,ts,nop,wscale]', 0);
    expect({ ...fromObject, text: '' }).toEqual({ ...fromText, text: '' });
  });

  it('writes the object form as text', () => {
    expect(patternText({ from: 'server', to: 'client', flags: 'ACK', ack: 'fin+1' })).toBe('server > client ACK ack=fin+1');
    expect(patternText({ from: 'c', to: 's', flags: ['PSH?', 'ACK'], seq: '+len', len: '<= 536', win: 0 })).toBe('c > s PSH? ACK seq=+len len<=536 win=0');
    expect(patternText({ from: 'c', to: 's', flags: 'SYN', mss: false, wscale: '>=7' })).toBe('c > s SYN mss=none wscale>=7');
    expect(patternText({ from: 'c', to: 's', flags: 'SYN', seq: '5' })).toBe('c > s SYN seq=5');
  });

  it('objects: ack=+len, ack=syn+1 and comparators survive the round trip', () => {
    const [p] = parsePatterns([{ from: 'c', to: 's', flags: 'ACK', ack: '+len', len: '>0' }]);
    expect(p).toMatchObject({ kind: 'segment', ack: { kind: 'next' }, len: { kind: 'number', op: '>', value: 0 } });
  });

  it('rejects bad objects naming the field and the pattern number', () => {
    expect(() => parsePatterns(['...', { from: 'c', to: 's', flags: 'SYN', seq: 'lots' }])).toThrow(/segment pattern 2: field "seq"/);
    expect(() => parsePatterns([{ from: 'c', to: 's', flags: 'SYN', colour: 'red' } as never])).toThrow(/segment pattern 1/);
    expect(() => parsePatterns([{ from: '', to: 's', flags: 'SYN' }])).toThrow(/field "from"/);
    expect(() => parsePatterns([{ from: 'c', to: 's', flags: [] }])).toThrow(/field "flags"/);
  });

  it('an object with a bad flag fails like its text form', () => {
    expect(() => parsePatterns([{ from: 'c', to: 's', flags: 'SYNACK' }])).toThrow(PatternError);
  });
});
