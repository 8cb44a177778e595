/**
 * Segment patterns: `'<from> > <to> <FLAGS> [key=value …]'` or `'...'`.
 *
 *   'client > server SYN mss=1460 opts=[mss,sackOK,ts,nop,wscale]'
 *   'server > client ACK ack=fin+1'
 *   'client > server PSH? ACK len<=536'
 *
 * Flags match exactly; `PSH?` (any flag with ?) may be present or not. Numbers
 * (seq, ack) are relative to each direction's ISN. The same patterns are accepted
 * as objects (validated with zod).
 */
import { z } from 'zod';
import { InputError } from '../input-error.js';

export const FLAG_NAMES = ['SYN', 'FIN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export type Comparator = '=' | '<=' | '>=' | '<' | '>' | '!=';

export function compare(op: Comparator, a: number, b: number): boolean {
  switch (op) {
    case '=': return a === b;
    case '!=': return a !== b;
    case '<=': return a <= b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '>': return a > b;
  }
}

/** What happened to a segment on the wire, or what the analysis says of it. */
export const MARKS = ['dropped', 'held', 'delayed', 'duplicated', 'injected', 'retransmission', 'cut'] as const;
export type Mark = (typeof MARKS)[number];

export type ValueSpec =
  | { kind: 'number'; op: Comparator; value: number }
  /** ack=fin+1, ack=syn+1: acknowledges the peer's last FIN/SYN */
  | { kind: 'acks'; what: 'fin' | 'syn' }
  /** seq=+len: continues the sender's previous segment; ack=+len: acknowledges all the peer sent */
  | { kind: 'next' };

export type OptionSpec =
  | { kind: 'present' }
  | { kind: 'absent' }
  | { kind: 'number'; op: Comparator; value: number };

export interface SegmentPattern {
  kind: 'segment';
  text: string;
  from: string;
  to: string;
  flags: FlagName[];
  optionalFlags: FlagName[];
  seq?: ValueSpec;
  ack?: ValueSpec;
  len?: ValueSpec;
  win?: ValueSpec;
  mss?: OptionSpec;
  wscale?: OptionSpec;
  ts?: OptionSpec;
  sackOK?: OptionSpec;
  /** exact option kinds in order, by name */
  opts?: string[];
  /** marks the segment must carry, e.g. dropped */
  marks?: Mark[];
}

export interface AnyRun {
  kind: 'any';
  text: string;
}

export type Pattern = SegmentPattern | AnyRun;

export class PatternError extends InputError {
  constructor(
    readonly pattern: string,
    readonly column: number,
    readonly reason: string,
    readonly index?: number,
  ) {
    super(
      `segment pattern${index !== undefined ? ` ${index + 1}` : ''} "${pattern}": ${reason} at column ${column + 1}\n  ${pattern}\n  ${' '.repeat(column)}^`,
    );
    this.name = 'PatternError';
  }
}

const OPTION_NAMES = new Set(['eol', 'nop', 'mss', 'wscale', 'sackOK', 'sack', 'ts', 'md5', 'ao', 'mptcp', 'fastopen', 'exp', 'unknown']);

interface Token {
  text: string;
  col: number;
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const re = /\S*\[[^\]]*\]\S*|\S+/g;
  for (const m of s.matchAll(re)) out.push({ text: m[0], col: m.index! });
  return out;
}

const COMPARE = /^(seq|ack|len|win|mss|wscale|ts|sackOK|opts)(<=|>=|!=|=|<|>)(.*)$/;

function parseNumber(p: string, tok: Token, key: string, op: Comparator, raw: string, index?: number): ValueSpec {
  if (/^\d+$/.test(raw)) return { kind: 'number', op, value: Number(raw) };
  if (op === '=' && key === 'ack' && (raw === 'fin+1' || raw === 'syn+1')) return { kind: 'acks', what: raw.slice(0, 3) as 'fin' | 'syn' };
  if (op === '=' && (key === 'seq' || key === 'ack') && raw === '+len') return { kind: 'next' };
  const col = tok.col + key.length + op.length;
  const allowed = key === 'ack' ? 'a number, fin+1, syn+1 or +len' : key === 'seq' ? 'a number or +len' : 'a number';
  throw new PatternError(p, col, `${key} takes ${allowed}, not "${raw}"`, index);
}

function parseOption(p: string, tok: Token, key: string, op: Comparator | null, raw: string | null, index?: number): OptionSpec {
  if (op === null) return { kind: 'present' };
  if (op === '=' && raw === 'none') return { kind: 'absent' };
  if (raw !== null && /^\d+$/.test(raw) && key !== 'ts' && key !== 'sackOK') return { kind: 'number', op, value: Number(raw) };
  throw new PatternError(p, tok.col + key.length + op.length, `${key} takes ${key === 'ts' || key === 'sackOK' ? 'no value or =none' : 'a number or =none'}, not "${raw}"`, index);
}

export function parsePattern(text: string, index?: number): Pattern {
  const p = text;
  if (p.trim() === '...') return { kind: 'any', text };
  const toks = tokenize(p);
  if (toks.length < 3 || toks[1].text !== '>') {
    const col = toks[1] && toks[1].text !== '>' ? toks[1].col : p.length;
    throw new PatternError(p, col, 'expected "<from> > <to> FLAGS [key=value …]"', index);
  }
  const pat: SegmentPattern = { kind: 'segment', text, from: toks[0].text, to: toks[2].text, flags: [], optionalFlags: [] };
  let i = 3;
  for (; i < toks.length; i++) {
    const t = toks[i];
    const optional = t.text.endsWith('?');
    const name = (optional ? t.text.slice(0, -1) : t.text).toUpperCase();
    if (t.text.includes('=') || t.text.includes('<') || t.text.includes('>') || !/^[A-Za-z]+\??$/.test(t.text)) break;
    if (!(FLAG_NAMES as readonly string[]).includes(name)) {
      if ((['MSS', 'WSCALE', 'TS', 'SACKOK', 'SEQ', 'ACK', 'LEN', 'WIN'].includes(name) || (MARKS as readonly string[]).includes(t.text)) && i > 3) break;
      throw new PatternError(p, t.col, `unknown flag "${t.text}" (flags: ${FLAG_NAMES.join(' ')}, PSH? for optional)`, index);
    }
    (optional ? pat.optionalFlags : pat.flags).push(name as FlagName);
  }
  if (pat.flags.length === 0 && pat.optionalFlags.length === 0) {
    throw new PatternError(p, toks[i]?.col ?? p.length, 'expected at least one flag (SYN ACK FIN RST PSH URG ECE CWR)', index);
  }
  for (; i < toks.length; i++) {
    const t = toks[i];
    const m = COMPARE.exec(t.text);
    const bare = /^(mss|wscale|ts|sackOK)$/.exec(t.text);
    if (bare) {
      pat[bare[1] as 'mss'] = { kind: 'present' };
      continue;
    }
    if ((MARKS as readonly string[]).includes(t.text)) {
      (pat.marks ??= []).push(t.text as Mark);
      continue;
    }
    if (!m) throw new PatternError(p, t.col, `expected key=value with key seq, ack, len, win, mss, wscale, ts, sackOK or opts, or a mark (${MARKS.join(', ')}), not "${t.text}"`, index);
    const [, key, op, raw] = m as unknown as [string, string, Comparator, string];
    switch (key) {
      case 'seq':
      case 'ack':
      case 'len':
      case 'win':
        pat[key] = parseNumber(p, t, key, op, raw, index);
        break;
      case 'mss':
      case 'wscale':
      case 'ts':
      case 'sackOK':
        pat[key] = parseOption(p, t, key, op, raw, index);
        break;
      case 'opts': {
        const list = /^\[(.*)\]$/.exec(raw);
        if (op !== '=' || !list) throw new PatternError(p, t.col + 5, 'opts takes a list like [mss,sackOK,ts,nop,wscale]', index);
        let offset = t.col + 'opts='.length + 1; // just inside the [
        const names: string[] = [];
        for (const part of list[1].split(',')) {
          const name = part.trim();
          const col = offset + part.indexOf(name);
          offset += part.length + 1;
          if (!name) continue;
          if (!OPTION_NAMES.has(name)) throw new PatternError(p, col, `unknown option "${name}" (known: ${[...OPTION_NAMES].join(', ')})`, index);
          names.push(name);
        }
        pat.opts = names;
        break;
      }
    }
  }
  return pat;
}

const num = z.union([z.number().int().min(0), z.string().regex(/^(<=|>=|!=|<|>|=)?\s*\d+$|^(fin|syn)\+1$|^\+len$/)]);
const opt = z.union([z.boolean(), z.number().int().min(0), z.string().regex(/^(<=|>=|!=|<|>|=)?\s*\d+$/)]);

/** The object form of a pattern. */
export const SegmentPatternObject = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    flags: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    seq: num.optional(),
    ack: num.optional(),
    len: num.optional(),
    win: num.optional(),
    mss: opt.optional(),
    wscale: opt.optional(),
    ts: z.boolean().optional(),
    sackOK: z.boolean().optional(),
    opts: z.array(z.string()).optional(),
  })
  .strict();
export type SegmentPatternObject = z.infer<typeof SegmentPatternObject>;

/** Turn the object form into the text form, so both share one parser and one message format. */
export function patternText(o: SegmentPatternObject): string {
  const parts = [o.from, '>', o.to, Array.isArray(o.flags) ? o.flags.join(' ') : o.flags];
  const value = (v: number | string) => (typeof v === 'number' ? `=${v}` : /^(<|>|=|!)/.test(v) ? v.replace(/\s+/g, '') : `=${v}`);
  for (const k of ['seq', 'ack', 'len', 'win'] as const) if (o[k] !== undefined) parts.push(`${k}${value(o[k]!)}`);
  for (const k of ['mss', 'wscale'] as const) {
    const v = o[k];
    if (v === true) parts.push(k);
    else if (v === false) parts.push(`${k}=none`);
    else if (v !== undefined) parts.push(`${k}${value(v)}`);
  }
  for (const k of ['ts', 'sackOK'] as const) if (o[k] !== undefined) parts.push(o[k] ? k : `${k}=none`);
  if (o.opts) parts.push(`opts=[${o.opts.join(',')}]`);
  return parts.join(' ');
}

export type PatternInput = string | SegmentPatternObject;

export function parsePatterns(input: PatternInput[]): Pattern[] {
  if (!Array.isArray(input)) throw new InputError('toHaveSegments expects an array of segment patterns');
  return input.map((p, i) => {
    if (typeof p === 'string') return parsePattern(p, i);
    const r = SegmentPatternObject.safeParse(p);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InputError(`segment pattern ${i + 1}: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
    }
    return parsePattern(patternText(r.data), i);
  });
}
