/** A cursor over a script's tokens, with the helpers every part of the parser uses. */
import type { InputError } from '../input-error.js';
import type { Token, TokenKind } from './lexer.js';
import { scriptError, unsupported } from './script-error.js';

/** How deep brackets may nest in an argument (deeper is an error, never a stack overflow). */
export const MAX_NESTING = 64;

export function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the script';
  if (t.kind === 'code') return 'a %{ code }% block';
  if (t.kind === 'backquote') return 'a `command`';
  if (t.kind === 'string') return `the string ${JSON.stringify(t.text.length > 20 ? `${t.text.slice(0, 20)}…` : t.text)}`;
  return `"${t.text}"`;
}

export class Tokens {
  private i = 0;

  constructor(
    private readonly toks: Token[],
    readonly file: string,
    private readonly text: string,
  ) {}

  /** the script text between two offsets */
  source(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  /** the token `ahead` places on (-1: the one just taken) */
  peek(ahead = 0): Token {
    return this.toks[Math.max(0, Math.min(this.i + ahead, this.toks.length - 1))];
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  /** the token is punctuation `text`, or a word `text` */
  is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return (t.kind === 'punct' || t.kind === 'word') && t.text === text;
  }

  isKind(kind: TokenKind, ahead = 0): boolean {
    return this.peek(ahead).kind === kind;
  }

  accept(text: string): Token | undefined {
    return this.is(text) ? this.next() : undefined;
  }

  expect(text: string, context: string): Token {
    if (this.is(text)) return this.next();
    throw this.error(this.peek(), `expected "${text}" ${context}, found ${describe(this.peek())}`);
  }

  /** an unsigned integer token, checked against a maximum */
  integer(what: string, max: number): number {
    const t = this.peek();
    if (t.kind !== 'int' || t.text.startsWith('-')) throw this.error(t, `expected ${what} (an integer), found ${describe(t)}`);
    this.next();
    const v = Number(t.text);
    if (v > max) throw this.error(t, `${what} ${t.text} is out of range (at most ${max})`);
    return v;
  }

  error(t: Token, what: string): InputError {
    return scriptError(this.file, t.line, what);
  }

  unsupported(t: Token, what: string): InputError {
    return unsupported(this.file, t.line, what);
  }
}
