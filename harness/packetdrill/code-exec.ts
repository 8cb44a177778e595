/**
 * `%{ }%` assertions, evaluated as Python would evaluate the subset the parser
 * reads: the TCP_INFO fields of the socket under test as tcpi_* names, packetdrill's
 * symbolic constants, and the names earlier blocks assigned (one Python file in
 * packetdrill, so assignments carry over).
 */
import type { CodeStatement, PyExpr } from './ast.js';

type Value = number | string | boolean;

/** The names packetdrill's code.c defines before every block. */
export const CODE_SYMBOLS: Readonly<Record<string, number>> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
};

/** Python's name for the failure and what it says, e.g. `AssertionError: tcpi_state == TCP_FIN_WAIT1 (tcpi_state is 5)`. */
export class CodeError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export class CodeScope {
  private assigned = new Map<string, Value>();

  /** Run the statements of one block with these TCP_INFO fields; throws CodeError, and then keeps none of the block's assignments. */
  run(statements: CodeStatement[], tcpInfo: Record<string, number>): void {
    const assigned = new Map(this.assigned);
    this.runIn(assigned, statements, tcpInfo);
    this.assigned = assigned;
  }

  private runIn(assigned: Map<string, Value>, statements: CodeStatement[], tcpInfo: Record<string, number>): void {
    const lookup = (name: string, line: number): Value => {
      const v = assigned.get(name) ?? tcpInfo[name] ?? CODE_SYMBOLS[name];
      if (v === undefined) throw new CodeError(line, `NameError: name '${name}' is not defined`);
      return v;
    };
    for (const st of statements) {
      if (st.kind === 'assign') {
        assigned.set(st.name, evaluate(st.value, (n) => lookup(n, st.line)));
        continue;
      }
      if (truthy(evaluate(st.test, (n) => lookup(n, st.line)))) continue;
      const message = st.message ? String(evaluate(st.message, (n) => lookup(n, st.line))) : exprText(st.test);
      const names = [...new Set(namesIn(st.test))].filter((n) => !(n in CODE_SYMBOLS));
      const values = names.map((n) => `${n} is ${String(lookup(n, st.line))}`).join(', ');
      throw new CodeError(st.line, `AssertionError: ${message}${values ? ` (${values})` : ''}`);
    }
  }
}

function truthy(v: Value): boolean {
  return typeof v === 'string' ? v !== '' : Boolean(v);
}

function num(v: Value): number {
  if (typeof v === 'string') throw new Error(`TypeError: a number was expected, got '${v}'`);
  return Number(v);
}

function evaluate(e: PyExpr, lookup: (name: string) => Value): Value {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'str':
      return e.value;
    case 'name':
      return e.name === 'True' ? true : e.name === 'False' ? false : lookup(e.name);
    case 'unary': {
      const v = evaluate(e.operand, lookup);
      if (e.op === 'not') return !truthy(v);
      return e.op === '-' ? -num(v) : e.op === '+' ? num(v) : ~num(v);
    }
    case 'bool': {
      const left = evaluate(e.left, lookup);
      if (e.op === 'and') return truthy(left) ? evaluate(e.right, lookup) : left;
      return truthy(left) ? left : evaluate(e.right, lookup);
    }
    case 'compare': {
      let left = evaluate(e.left, lookup);
      for (const { op, right: r } of e.rest) {
        const right = evaluate(r, lookup);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'binary':
      return binary(e.op, num(evaluate(e.left, lookup)), num(evaluate(e.right, lookup)));
  }
}

function compare(op: string, a: Value, b: Value): boolean {
  switch (op) {
    case '==':
      return a === b || (typeof a !== 'string' && typeof b !== 'string' && Number(a) === Number(b));
    case '!=':
      return !compare('==', a, b);
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

function binary(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0) throw new Error('ZeroDivisionError: division by zero');
      return a / b;
    case '//':
      if (b === 0) throw new Error('ZeroDivisionError: integer division or modulo by zero');
      return Math.floor(a / b);
    case '%':
      if (b === 0) throw new Error('ZeroDivisionError: integer division or modulo by zero');
      return ((a % b) + b) % b;
    case '<<':
      return Number(BigInt(a) << BigInt(b));
    case '>>':
      return Number(BigInt(a) >> BigInt(b));
    case '&':
      return Number(BigInt(a) & BigInt(b));
    case '|':
      return Number(BigInt(a) | BigInt(b));
    default:
      return Number(BigInt(a) ^ BigInt(b));
  }
}

function namesIn(e: PyExpr): string[] {
  switch (e.kind) {
    case 'name':
      return e.name === 'True' || e.name === 'False' ? [] : [e.name];
    case 'unary':
      return namesIn(e.operand);
    case 'bool':
    case 'binary':
      return [...namesIn(e.left), ...namesIn(e.right)];
    case 'compare':
      return [...namesIn(e.left), ...e.rest.flatMap((r) => namesIn(r.right))];
    default:
      return [];
  }
}

export function exprText(e: PyExpr): string {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'name':
      return e.name;
    case 'unary':
      return e.op === 'not' ? `not ${exprText(e.operand)}` : `${e.op}${exprText(e.operand)}`;
    case 'bool':
    case 'binary':
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'compare':
      return [exprText(e.left), ...e.rest.map((r) => `${r.op} ${exprText(r.right)}`)].join(' ');
  }
}
