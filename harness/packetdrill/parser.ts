/**
 * A packetdrill script: header flags, an optional untimed `command`, timed events,
 * an optional untimed `command` at the end (packetdrill's parser.y, by hand).
 */
import type { Event, FlagSetting, Script, ShellCommand, TimeSpec } from './ast.js';
import { parseCodeBlock } from './code-block.js';
import { resolveOptions } from './flags.js';
import { readHeader } from './header.js';
import { tokenize, type Token } from './lexer.js';
import { parsePacket } from './packet.js';
import { scriptError } from './script-error.js';
import { parseSyscall } from './syscall.js';
import { describe, Tokens } from './tokens.js';

export interface ParseOptions {
  /** flags given from outside the script (folder config, command line); they win over the script's */
  flags?: readonly FlagSetting[];
}

/**
 * Parse a script. Every syntax error and every construct tcpladder cannot run is an
 * InputError `file:line: what` (`file:line: unsupported: what`).
 */
export function parsePacketdrill(text: string, file: string, opts: ParseOptions = {}): Script {
  const header = readHeader(text, file);
  const options = resolveOptions([...header.flags, ...(opts.flags ?? [])]);
  const ts = new Tokens(tokenize(text, file, { offset: header.offset, line: header.line, defines: options.defines }), file, text);
  const script: Script = { file, flags: header.flags, options, events: [] };
  if (ts.isKind('backquote')) script.init = command(ts.next());
  while (!ts.isKind('eof')) {
    if (ts.isKind('backquote')) {
      const t = ts.next();
      if (!ts.isKind('eof')) throw ts.error(t, 'a `command` needs a time (e.g. +0 `...`) unless it is the first or the last statement of the script');
      script.cleanup = command(t);
    } else {
      script.events.push(parseEvent(ts));
    }
  }
  if (script.events.length === 0) throw scriptError(file, ts.peek().line, 'the script has no events (timed packets, system calls, `commands` or %{ code }%)');
  return script;
}

function command(t: Token): ShellCommand {
  return { command: t.text, line: t.line, column: t.column };
}

function parseEvent(ts: Tokens): Event {
  const start = ts.peek();
  if (ts.is('-') && ts.is('-', 1) && ts.isKind('word', 2)) throw ts.error(start, `flags (--${ts.peek(2).text}) must come before the first event`);
  const time = parseTime(ts);
  const { line, column } = start;
  const t = ts.peek();
  let event: Event;
  if (ts.is('<') || ts.is('>')) {
    event = { kind: 'packet', packet: parsePacket(ts, ts.next()), line, column, time };
  } else if (t.kind === 'ellipsis') {
    ts.next();
    const endAt = ts.peek();
    const end = parseSeconds(ts, 'the time a blocking call returns (...T)');
    if (!(ts.isKind('word') && ts.is('(', 1))) throw ts.error(ts.peek(), `expected a system call after ...${endAt.text}, found ${describe(ts.peek())}`);
    event = { kind: 'syscall', syscall: parseSyscall(ts, end), line, column, time };
  } else if (t.kind === 'word' && ts.is('(', 1)) {
    event = { kind: 'syscall', syscall: parseSyscall(ts, undefined), line, column, time };
  } else if (t.kind === 'backquote') {
    event = { kind: 'command', command: ts.next().text, line, column, time };
  } else if (t.kind === 'code') {
    event = { kind: 'code', code: parseCodeBlock(ts.next().text, t.line), line, column, time };
  } else {
    throw ts.error(t, `expected a packet (< or >), a system call, a \`command\` or a %{ code }% block after the time, found ${describe(t)}`);
  }
  const outboundPacket = event.kind === 'packet' && event.packet.direction === 'outbound';
  if (time.kind === 'any' && !outboundPacket) throw ts.error(start, 'event time * can only be used with outbound packets');
  if ((time.kind === 'absolute-range' || time.kind === 'relative-range') && !outboundPacket) throw ts.error(start, 'a time range can only be used with outbound packets');
  return event;
}

function parseTime(ts: Tokens): TimeSpec {
  const start = ts.peek();
  if (ts.accept('*')) return { kind: 'any' };
  const relative = !!ts.accept('+');
  const usecs = parseSeconds(ts, relative ? 'a time after "+"' : 'an event time (0, +0.1, *, …)');
  if (!ts.accept('~')) return { kind: relative ? 'relative' : 'absolute', usecs };
  if (relative && !ts.accept('+')) throw ts.error(ts.peek(), `a relative time range is written +a~+b, found ${describe(ts.peek())} after "~"`);
  const endUsecs = parseSeconds(ts, 'the end of the time range');
  if (endUsecs < usecs) throw ts.error(start, 'time range is backwards');
  return { kind: relative ? 'relative-range' : 'absolute-range', usecs, endUsecs };
}

/** `2`, `.1`, `0.200` seconds as whole microseconds (decimal digits beyond 6 are dropped). */
function parseSeconds(ts: Tokens, what: string): number {
  const t = ts.peek();
  if (t.kind !== 'int' && t.kind !== 'float') throw ts.error(t, `expected ${what}, found ${describe(t)}`);
  if (t.text.startsWith('-')) throw ts.error(t, `negative time ${t.text}`);
  ts.next();
  const [whole, frac = ''] = t.text.split('.');
  const usecs = Number(whole || '0') * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
  if (!Number.isSafeInteger(usecs)) throw ts.error(t, `time ${t.text} is too large`);
  return usecs;
}
