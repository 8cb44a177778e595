/**
 * System call lines: `name(arg, ...) = result [ERRNO (text)] [(note)]`, with packetdrill's
 * argument expressions (numbers, symbols, strings, `...`, `[...]`, `{...}`, `a|b`,
 * `name=value`, `htons(8080)`).
 */
import type { Expr, SyscallSpec } from './ast.js';
import { decodeCString, type Token } from './lexer.js';
import { describe, MAX_NESTING, type Tokens } from './tokens.js';

export function parseSyscall(ts: Tokens, blockingEndUsecs: number | undefined): SyscallSpec {
  const name = ts.next();
  const args = parseList(ts, '(', ')', `the arguments of ${name.text}`, 0);
  ts.expect('=', `after ${name.text}(...) (system calls are written name(args) = result)`);
  const spec: SyscallSpec = { name: name.text, args, result: parseExpr(ts, 0) };
  if (blockingEndUsecs !== undefined) spec.blockingEndUsecs = blockingEndUsecs;
  // the errno and the note must follow on the result's line: a word on the next line is
  // more likely a statement that lost its time than an errno
  const line = ts.peek(-1).line;
  if (ts.isKind('word') && ts.peek().line === line) {
    const errno = ts.next().text;
    spec.errno = { name: errno };
    if (ts.is('(') && ts.peek().line === line) spec.errno.text = parseNote(ts);
  } else if (ts.is('(') && ts.peek().line === line) {
    spec.note = parseNote(ts);
  }
  return spec;
}

/** `(Operation now in progress)`: the text between the parentheses, as written. */
function parseNote(ts: Tokens): string {
  const open = ts.next();
  let depth = 1;
  let last = open;
  while (depth > 0) {
    const t = ts.next();
    if (t.kind === 'eof') throw ts.error(open, 'unclosed "(" in the note after a system call');
    if (t.text === '(' && t.kind === 'punct') depth++;
    if (t.text === ')' && t.kind === 'punct') depth--;
    if (depth > 0) last = t;
  }
  return last === open ? '' : ts.source(open.end, last.end).replace(/\s+/g, ' ').trim();
}

function parseList(ts: Tokens, open: string, close: string, what: string, depth: number): Expr[] {
  ts.expect(open, `to start ${what}`);
  const items: Expr[] = [];
  if (ts.accept(close)) return items;
  do items.push(parseExpr(ts, depth + 1));
  while (ts.accept(','));
  ts.expect(close, `to end ${what}`);
  return items;
}

export function parseExpr(ts: Tokens, depth: number): Expr {
  if (depth > MAX_NESTING) throw ts.error(ts.peek(), `arguments nest deeper than ${MAX_NESTING} levels`);
  let left = parsePrimary(ts, depth);
  while (ts.is('|')) {
    const bar = ts.next();
    left = { kind: 'or', left, right: parsePrimary(ts, depth), line: bar.line, column: bar.column };
  }
  return left;
}

function parsePrimary(ts: Tokens, depth: number): Expr {
  const t = ts.peek();
  // (explicit fields: object spread is slow on this hot path)
  const { line, column } = t;
  switch (t.kind) {
    case 'ellipsis':
      ts.next();
      return { kind: 'ellipsis', line, column };
    case 'int':
    case 'hex':
      ts.next();
      return { kind: 'int', value: BigInt(t.text), text: t.text, line, column };
    case 'string':
      return parseString(ts);
    case 'word': {
      ts.next();
      const target: Expr = ts.is('(')
        ? { kind: 'call', name: t.text, args: parseList(ts, '(', ')', `the arguments of ${t.text}(...)`, depth), line, column }
        : { kind: 'word', name: t.text, line, column };
      if (!ts.is('=')) return target;
      ts.next();
      return { kind: 'assign', target, value: parseExpr(ts, depth + 1), line, column };
    }
    case 'punct':
      if (t.text === '[') return { kind: 'array', items: parseList(ts, '[', ']', 'the array', depth), line, column };
      if (t.text === '{') return { kind: 'struct', items: parseList(ts, '{', '}', 'the struct', depth), line, column };
      break;
  }
  throw ts.error(t, `expected a value (a number, a symbol, a "string", ..., [ ] or { }), found ${describe(t)}`);
}

/** Adjacent strings join, as in C; `"abc"...` is a prefix of the real string. */
function parseString(ts: Tokens): Expr {
  const first: Token = ts.peek();
  let raw = '';
  while (ts.isKind('string')) raw += ts.next().text;
  const prefix = ts.isKind('ellipsis');
  if (prefix) ts.next();
  return { kind: 'string', value: decodeCString(raw), raw, prefix, line: first.line, column: first.column };
}
