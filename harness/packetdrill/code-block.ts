/**
 * `%{ }%` blocks: packetdrill hands them to Python with the TCP_INFO fields as
 * tcpi_* variables. Scripts use them for assertions, so the small subset they use is
 * parsed here: `assert <test>[, <message>]` and `NAME = <value>` statements, one per
 * line or separated by `;`, with `#` comments and `\` continuations, over numbers,
 * strings, names, arithmetic, bit operations, chained comparisons, and/or/not. Any
 * other Python keeps the block raw, with the reason.
 */
import type { CodeBlock, CodeStatement, PyExpr } from './ast.js';
import { MAX_NESTING } from './tokens.js';

interface PyToken {
  kind: 'num' | 'str' | 'name' | 'op' | 'newline' | 'end';
  text: string;
  line: number;
  value?: number | string;
}

class Unparsed extends Error {}

const OPERATORS = ['==', '!=', '<=', '>=', '<<', '>>', '//', '**', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '~', '(', ')', ',', '=', ';', '[', ']', '{', '}', '.', ':'];

function lex(text: string, firstLine: number): PyToken[] {
  const out: PyToken[] = [];
  let line = firstLine;
  let parens = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    if (c === '\\' && /^\\\r?\n/.test(rest)) {
      i += rest[1] === '\r' ? 3 : 2;
      line++;
    } else if (c === '\n') {
      if (parens === 0) out.push({ kind: 'newline', text: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (/^(0[xX][0-9a-fA-F]+|[0-9]+\.?[0-9]*([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?)/.test(rest)) {
      const m = /^(0[xX][0-9a-fA-F]+|[0-9]+\.?[0-9]*([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?)/.exec(rest)![0];
      out.push({ kind: 'num', text: m, line, value: Number(m) });
      i += m.length;
    } else if (/^[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)![0];
      out.push({ kind: 'name', text: m, line });
      i += m.length;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c && text[j] !== '\n') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j++];
      }
      if (text[j] !== c) throw new Unparsed(`line ${line}: unterminated string`);
      out.push({ kind: 'str', text: text.slice(i, j + 1), line, value });
      i = j + 1;
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw new Unparsed(`line ${line}: unexpected character ${JSON.stringify(c)}`);
      if (op === '(') parens++;
      if (op === ')') parens = Math.max(0, parens - 1);
      out.push(op === ';' ? { kind: 'newline', text: ';', line } : { kind: 'op', text: op, line });
      i += op.length;
    }
  }
  out.push({ kind: 'end', text: '', line });
  return out;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'assert', 'lambda', 'if', 'else', 'in', 'is', 'for', 'import', 'def', 'return', 'del', 'pass']);
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
/** binary operators from loosest to tightest, as in Python */
const LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%']];

class Parser {
  private i = 0;

  constructor(private readonly toks: PyToken[]) {}

  private peek(): PyToken {
    return this.toks[this.i];
  }

  private next(): PyToken {
    const t = this.toks[this.i];
    if (t.kind !== 'end') this.i++;
    return t;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'op' || t.kind === 'name') && t.text === text;
  }

  private fail(what: string): never {
    const t = this.peek();
    throw new Unparsed(`line ${t.line}: ${what}, found ${t.kind === 'end' ? 'the end' : t.kind === 'newline' ? 'the end of the line' : JSON.stringify(t.text)}`);
  }

  statements(): CodeStatement[] {
    const out: CodeStatement[] = [];
    for (;;) {
      while (this.peek().kind === 'newline') this.next();
      const t = this.peek();
      if (t.kind === 'end') return out;
      if (t.kind === 'name' && t.text === 'assert') {
        this.next();
        const test = this.expr(0);
        const message = this.isOp(',') ? (this.next(), this.expr(0)) : undefined;
        out.push(message ? { kind: 'assert', line: t.line, test, message } : { kind: 'assert', line: t.line, test });
      } else if (t.kind === 'name' && this.toks[this.i + 1].text === '=' && this.toks[this.i + 1].kind === 'op') {
        this.next();
        this.next();
        out.push({ kind: 'assign', line: t.line, name: t.text, value: this.expr(0) });
      } else {
        this.fail('expected an assert or NAME = value');
      }
      if (this.peek().kind !== 'newline' && this.peek().kind !== 'end') this.fail('expected the end of the statement');
    }
  }

  private expr(depth: number): PyExpr {
    if (depth > MAX_NESTING) this.fail(`parentheses nest deeper than ${MAX_NESTING} levels`);
    let left = this.and(depth);
    while (this.isOp('or')) {
      this.next();
      left = { kind: 'bool', op: 'or', left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): PyExpr {
    let left = this.not(depth);
    while (this.isOp('and')) {
      this.next();
      left = { kind: 'bool', op: 'and', left, right: this.not(depth) };
    }
    return left;
  }

  private not(depth: number): PyExpr {
    if (this.isOp('not')) {
      if (depth > MAX_NESTING) this.fail(`operators nest deeper than ${MAX_NESTING} levels`);
      this.next();
      return { kind: 'unary', op: 'not', operand: this.not(depth + 1) };
    }
    return this.comparison(depth);
  }

  private comparison(depth: number): PyExpr {
    const left = this.binary(0, depth);
    const rest: { op: '==' | '!=' | '<' | '<=' | '>' | '>='; right: PyExpr }[] = [];
    while (this.peek().kind === 'op' && COMPARE.has(this.peek().text)) {
      const op = this.next().text as '==';
      rest.push({ op, right: this.binary(0, depth) });
    }
    return rest.length ? { kind: 'compare', left, rest } : left;
  }

  private binary(level: number, depth: number): PyExpr {
    if (level === LEVELS.length) return this.unary(depth);
    let left = this.binary(level + 1, depth);
    while (this.peek().kind === 'op' && LEVELS[level].includes(this.peek().text)) {
      const op = this.next().text as '+';
      left = { kind: 'binary', op, left, right: this.binary(level + 1, depth) };
    }
    return left;
  }

  private unary(depth: number): PyExpr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      if (depth > MAX_NESTING) this.fail(`operators nest deeper than ${MAX_NESTING} levels`);
      this.next();
      return { kind: 'unary', op: t.text, operand: this.unary(depth + 1) };
    }
    return this.atom(depth);
  }

  private atom(depth: number): PyExpr {
    const t = this.peek();
    if (t.kind === 'num' || t.kind === 'str') {
      this.next();
      return t.kind === 'num' ? { kind: 'num', value: t.value as number } : { kind: 'str', value: t.value as string };
    }
    if (t.kind === 'name' && !KEYWORDS.has(t.text)) {
      this.next();
      if (this.isOp('(') || this.isOp('.') || this.isOp('[')) this.fail(`calls, attributes and indexing are not in the assertion subset (after ${t.text})`);
      return { kind: 'name', name: t.text };
    }
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const inner = this.expr(depth + 1);
      if (!this.isOp(')')) this.fail('expected ")"');
      this.next();
      return inner;
    }
    this.fail('expected a number, a string, a name or "("');
  }
}

export function parseCodeBlock(text: string, line: number): CodeBlock {
  try {
    return { text, statements: new Parser(lex(text, line)).statements() };
  } catch (e) {
    if (e instanceof Unparsed) return { text, unparsed: e.message };
    throw e;
  }
}
