/**
 * System call arguments as values: integers (decimal, hex, symbols, `a|b`), `[n]`,
 * `...`, strings and structs. Anything else is the script's error, named by line.
 */
import type { Expr } from './ast.js';
import { errnoNumber, SYMBOLS } from './symbols.js';

/** Raised with the message only; the executor adds `file:line:` and the call. */
export class ArgError extends Error {}

export function isEllipsis(e: Expr | undefined): boolean {
  return e?.kind === 'ellipsis';
}

export function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis':
      return '...';
    case 'int':
      return e.text;
    case 'word':
      return e.name;
    case 'string':
      return JSON.stringify(e.value);
    case 'or':
      return `${describeExpr(e.left)}|${describeExpr(e.right)}`;
    case 'assign':
      return `${describeExpr(e.target)}=${describeExpr(e.value)}`;
    case 'array':
      return `[${e.items.map(describeExpr).join(', ')}]`;
    case 'struct':
      return `{${e.items.map(describeExpr).join(', ')}}`;
    case 'call':
      return `${e.name}(${e.args.map(describeExpr).join(', ')})`;
  }
}

/** An integer argument: a number, a known symbol, `a|b`, htons(n). */
export function intValue(e: Expr, what: string): number {
  switch (e.kind) {
    case 'int': {
      const v = e.value;
      if (v > 0xffffffffffffn || v < -0xffffffffffffn) throw new ArgError(`${what}: ${e.text} is out of range`);
      return Number(v);
    }
    case 'word': {
      const v = SYMBOLS[e.name] ?? (/^E[A-Z]+$/.test(e.name) ? errnoNumber(e.name) : undefined);
      if (v === undefined) throw new ArgError(`${what}: unknown symbol ${e.name}`);
      return v;
    }
    case 'or':
      return intValue(e.left, what) | intValue(e.right, what);
    case 'call':
      if ((e.name === 'htons' || e.name === 'htonl' || e.name === 'ntohs' || e.name === 'ntohl') && e.args.length === 1) return intValue(e.args[0], what);
      break;
  }
  throw new ArgError(`${what}: expected an integer, got ${describeExpr(e)}`);
}

/** `[n]`: one integer in brackets, as setsockopt and getsockopt write an int. */
export function bracketedInt(e: Expr, what: string): number {
  if (e.kind !== 'array' || e.items.length !== 1) throw new ArgError(`${what}: expected [<integer>], got ${describeExpr(e)}`);
  return intValue(e.items[0], what);
}

/** `{name=value, …}` as a map of names to expressions. */
export function structFields(e: Expr, what: string): Map<string, Expr> {
  if (e.kind !== 'struct') throw new ArgError(`${what}: expected {name=value, ...}, got ${describeExpr(e)}`);
  const out = new Map<string, Expr>();
  for (const item of e.items) {
    if (item.kind !== 'assign' || item.target.kind !== 'word') throw new ArgError(`${what}: expected name=value in ${describeExpr(e)}, got ${describeExpr(item)}`);
    out.set(item.target.name, item.value);
  }
  return out;
}

export function expectArgs(args: Expr[], n: number, call: string): void {
  if (args.length !== n) throw new ArgError(`${call}() takes ${n} arguments, got ${args.length}`);
}

/** A buffer argument: `...` (a buffer of the call's size) or NULL/0. */
export function bufferArg(e: Expr, what: string): 'buffer' | 'null' {
  if (e.kind === 'ellipsis') return 'buffer';
  if (e.kind === 'int' && e.value === 0n) return 'null';
  if (e.kind === 'word' && e.name === 'NULL') return 'null';
  if (e.kind === 'string') return 'buffer';
  throw new ArgError(`${what}: expected ... or NULL for the buffer, got ${describeExpr(e)}`);
}
