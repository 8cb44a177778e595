/**
 * The tokens of a packetdrill script body, after packetdrill's lexer.l: newlines are
 * plain whitespace (a statement may span lines), `//` and C comments are dropped,
 * `%{ }%` code, backtick commands and strings are single tokens, and a word defined
 * with -D is replaced by its value.
 */
import { scriptError } from './script-error.js';

export type TokenKind =
  | 'int' // 12, -1
  | 'hex' // 0x1f
  | 'float' // .1, 0.200, -1.5
  | 'address' // 192.0.2.1
  | 'word' // accept, SOL_SOCKET, S, sackOK, abcd1234
  | 'string' // "..." (text: between the quotes, escapes not decoded)
  | 'backquote' // `...` (text: between the backticks)
  | 'code' // %{ ... }% (text: inside, spaces and tabs trimmed at both ends)
  | 'ellipsis' // ...
  | 'punct' // any other single character
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
  /** offsets in the script text: [start, end) */
  start: number;
  end: number;
}

/** packetdrill's keywords: lexed before its define lookup, so -D cannot replace them. */
const KEYWORDS = new Set(
  (
    'sa_family sin_port sin_addr msg_name msg_iov msg_flags msg_control cmsg_data cmsg_level cmsg_type ' +
    'ee_errno ee_origin ee_type ee_code ee_info ee_data scm_sec scm_nsec fd u32 u64 ptr events revents onoff linger ' +
    'htons ipv4 ipv6 icmp udp GREv0 gre raw sum off key seq none checksum present mpls label tc ttl inet_addr inet6_addr ' +
    'ack eol ecr mss mtu nop sack sackOK md5 TS FO FOEXP tos flowlabel flags Flags val win urg wscale ' +
    'ect01 ect0 ect1 noecn ce id mut trun ins ip tcp ihl source_port'
  ).split(' '),
);

const WORD_RUN = /[A-Za-z0-9_]+/y;
const FLOAT = /-?[0-9]*\.[0-9]+/y;
const NEG_INT = /-[0-9]+/y;
const IPV4 = /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y;

function matchAt(re: RegExp, text: string, at: number): string {
  re.lastIndex = at;
  const m = re.exec(text);
  return m ? m[0] : '';
}

const ALL_DIGITS = /^[0-9]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const WORD_CHAR = /[0-9A-Za-z_]/;
const DIGIT = /[0-9]/;
const DIGIT_OR_DOT = /[0-9.]/;

function classifyRun(run: string): TokenKind {
  if (ALL_DIGITS.test(run)) return 'int';
  if (HEX.test(run)) return 'hex';
  return 'word';
}

export interface LexOptions {
  /** offset and line where the body starts (after the header's flags) */
  offset?: number;
  line?: number;
  /** -D NAME=VALUE definitions: a word NAME becomes the tokens of VALUE */
  defines?: Readonly<Record<string, string>>;
}

export function tokenize(text: string, file: string, opts: LexOptions = {}): Token[] {
  const out: Token[] = [];
  let pos = opts.offset ?? 0;
  let line = opts.line ?? 1;
  let lineStart = pos;
  // the offset of the start of the line `line` (columns are 1-based)
  for (let i = pos - 1; i >= 0 && text[i] !== '\n'; i--) lineStart = i;

  const push = (kind: TokenKind, tokText: string, start: number, end: number, tokLine = line, tokColumn = start - lineStart + 1): void => {
    out.push({ kind, text: tokText, line: tokLine, column: tokColumn, start, end });
  };
  /** advance past text[pos, to), counting newlines */
  const skipTo = (to: number): void => {
    for (; pos < to; pos++) {
      if (text[pos] === '\n') {
        line++;
        lineStart = pos + 1;
      }
    }
  };
  /** a delimited token (`"..."`, `` `...` ``) whose body may hold backslash escapes */
  const delimited = (close: string, what: string): number => {
    for (let i = pos + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === close) return i;
    }
    throw scriptError(file, line, `unterminated ${what}`);
  };

  while (pos < text.length) {
    const c = text[pos];
    const next = text[pos + 1];
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      skipTo(pos + 1);
    } else if (c === '/' && next === '/') {
      const nl = text.indexOf('\n', pos);
      skipTo(nl < 0 ? text.length : nl);
    } else if (c === '/' && next === '*') {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0) throw scriptError(file, line, 'unterminated /* comment');
      skipTo(close + 2);
    } else if (c === '%' && next === '{') {
      const close = text.indexOf('}%', pos + 2);
      if (close < 0) throw scriptError(file, line, 'unterminated %{ code block (no }%)');
      const startLine = line;
      const column = pos - lineStart + 1;
      const start = pos;
      push('code', text.slice(pos + 2, close).replace(/^[ \t]+|[ \t]+$/g, ''), start, close + 2, startLine, column);
      skipTo(close + 2);
    } else if (c === '"' || c === '`') {
      const close = delimited(c, c === '"' ? 'string' : '`command`');
      const startLine = line;
      const column = pos - lineStart + 1;
      const start = pos;
      push(c === '"' ? 'string' : 'backquote', text.slice(pos + 1, close), start, close + 1, startLine, column);
      skipTo(close + 1);
    } else if (c === '.' && next === '.' && text[pos + 2] === '.') {
      push('ellipsis', '...', pos, pos + 3);
      pos += 3;
    } else if (WORD_CHAR.test(c) || (c === '.' && DIGIT.test(next ?? '')) || (c === '-' && DIGIT_OR_DOT.test(next ?? ''))) {
      // longest match, as flex does: an IPv4 address, a float, or a run of word characters
      let kind: TokenKind;
      let tok: string;
      if (c === '-') {
        const f = matchAt(FLOAT, text, pos);
        const n = matchAt(NEG_INT, text, pos);
        if (!f && !n) {
          push('punct', c, pos, pos + 1);
          pos++;
          continue;
        }
        [kind, tok] = f.length > n.length ? ['float', f] : ['int', n];
      } else {
        const a = matchAt(IPV4, text, pos);
        const f = matchAt(FLOAT, text, pos);
        const w = matchAt(WORD_RUN, text, pos);
        if (a && a.length >= f.length && a.length >= w.length) [kind, tok] = ['address', a];
        else if (f.length >= w.length) [kind, tok] = ['float', f];
        else [kind, tok] = [classifyRun(w), w];
      }
      const value = kind === 'word' && !KEYWORDS.has(tok) ? opts.defines?.[tok] : undefined;
      if (value === undefined) push(kind, tok, pos, pos + tok.length);
      else {
        // the definition's tokens all stand where the word stood (definitions are not expanded again)
        let tokens: Token[];
        try {
          tokens = tokenize(value, file);
        } catch {
          throw scriptError(file, line, `the definition ${tok}=${JSON.stringify(value)} is not valid script text`);
        }
        for (const t of tokens) {
          if (t.kind !== 'eof') push(t.kind, t.text, pos, pos + tok.length);
        }
      }
      pos += tok.length;
    } else {
      push('punct', c, pos, pos + 1);
      pos++;
    }
  }
  push('eof', '', pos, pos);
  return out;
}

/** The value of a C string literal's body: \n \t \\ \" \xHH \ooo and the rest of C's escapes. */
export function decodeCString(raw: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '?': '?' };
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return simple[e] ?? e;
  });
}
