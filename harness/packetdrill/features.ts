/** The language features a parsed script uses, by name: for surveys, and for an executor to refuse what it cannot run. */
import type { Expr, Script } from './ast.js';

function exprFeatures(e: Expr, out: Set<string>): void {
  switch (e.kind) {
    case 'string':
      out.add('arg: "string"');
      break;
    case 'or':
      out.add('arg: a|b');
      exprFeatures(e.left, out);
      exprFeatures(e.right, out);
      break;
    case 'assign':
      exprFeatures(e.target, out);
      exprFeatures(e.value, out);
      break;
    case 'array':
      out.add('arg: [array]');
      e.items.forEach((i) => exprFeatures(i, out));
      break;
    case 'struct':
      out.add('arg: {struct}');
      e.items.forEach((i) => exprFeatures(i, out));
      break;
    case 'call':
      out.add(`arg: ${e.name}()`);
      e.args.forEach((i) => exprFeatures(i, out));
      break;
  }
}

export function scriptFeatures(script: Script): string[] {
  const out = new Set<string>();
  for (const f of script.flags) out.add(`flag --${f.name}`);
  if (script.init) out.add('`command` (init)');
  if (script.cleanup) out.add('`command` (cleanup)');
  for (const e of script.events) {
    if (e.time.kind === 'any') out.add('time *');
    if (e.time.kind === 'absolute-range' || e.time.kind === 'relative-range') out.add('time range a~b');
    if (e.kind === 'command') out.add('`command` (timed)');
    if (e.kind === 'code') out.add(e.code.statements ? '%{ }% (parsed)' : '%{ }% (kept raw)');
    if (e.kind === 'syscall') {
      const s = e.syscall;
      out.add(`syscall ${s.name}`);
      if (s.blockingEndUsecs !== undefined) out.add('blocking call ...T');
      if (s.errno) out.add('errno');
      s.args.forEach((a) => exprFeatures(a, out));
    }
    if (e.kind !== 'packet') continue;
    const p = e.packet;
    out.add(`${p.protocol} ${p.direction}`);
    if (p.ip?.ecn) out.add(`ip [${p.ip.ecn}]`);
    if (p.ip?.tos !== undefined) out.add('ip tos');
    if (p.ip?.flowLabel !== undefined) out.add('ip flowlabel');
    if (p.ip?.ttl !== undefined) out.add('ip ttl');
    if (p.ports) out.add('explicit ports');
    if (p.protocol !== 'tcp') continue;
    if (p.flags.ace !== undefined) out.add('flags ACE digit');
    else if (p.flags.ece || p.flags.cwr || p.flags.ae) out.add('flags E/W/A');
    if (p.flags.urg || p.urg !== undefined) out.add('urgent');
    if (p.options === 'any') out.add('options <...>');
    else {
      for (const o of p.options) {
        out.add(`option ${o.name}`);
        if (o.name === 'timestamp' && (o.val === 'any' || o.ecr === 'any')) out.add('option TS val/ecr ...');
      }
    }
  }
  return [...out].sort();
}
