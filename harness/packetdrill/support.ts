/**
 * What tcpladder runs of a parsed script, checked before anything runs: the first
 * construct it does not run is `file:line: unsupported: …` (exit 2), so a script never
 * half-runs into a construct it cannot finish, and never passes by skipping one.
 */
import type { Event, Script } from './ast.js';
import { inboundUnsupported } from './inbound.js';
import { SYSCALL_NAMES } from './run-syscall.js';
import { unsupported } from './script-error.js';

export function checkSupported(script: Script): void {
  const o = script.options;
  const file = script.file;
  const flagLine = (name: string) => script.flags.find((f) => f.name === name)?.where.line ?? script.events[0].line;
  // --mss runs: packetdrill marks each packet it injects as a GRO packet of that
  // segment size (the TUN's virtio header); the scripted peer sends it as written, in one
  // frame of any size (the executor's fitInbound), without that mark (docs/PACKETDRILL.md)
  if (o.speed !== undefined) throw unsupported(file, flagLine('speed'), "--speed (the link's speed is the wire's)");
  if (o.isAnyip) throw unsupported(file, flagLine('is_anyip'), '--is_anyip');
  if (o.codeFormat !== 'python') throw unsupported(file, flagLine('code_format'), `--code_format=${o.codeFormat} (tcpladder evaluates %{ }% itself, as Python)`);
  if (o.codeSockopt !== undefined && o.codeSockopt !== 'TCP_INFO') throw unsupported(file, flagLine('code_sockopt'), `--code_sockopt=${o.codeSockopt} (code sees TCP_INFO)`);
  for (const e of script.events) checkEvent(file, e);
}

function checkEvent(file: string, e: Event): void {
  switch (e.kind) {
    case 'packet': {
      const p = e.packet;
      if (p.protocol !== 'tcp') throw unsupported(file, e.line, `${p.protocol.toUpperCase()} packets (tcpladder runs TCP scripts)`);
      if (p.direction === 'inbound') {
        const why = inboundUnsupported(p);
        if (why) throw unsupported(file, e.line, why);
      } else {
        if (p.ip) throw unsupported(file, e.line, 'IP header checks (ECN marks, tos, ttl, flow label) on outbound packets');
        if (p.flags.ae || p.flags.ace !== undefined) throw unsupported(file, e.line, "AccECN's AE bit: the trace keeps the 8 classic flag bits");
        if (p.urg !== undefined && p.urg !== 0) throw unsupported(file, e.line, 'urgent pointer checks');
      }
      return;
    }
    case 'syscall':
      if (!SYSCALL_NAMES.includes(e.syscall.name)) throw unsupported(file, e.line, `system call ${e.syscall.name}() (tcpladder runs ${SYSCALL_NAMES.join(', ')})`);
      return;
    case 'code':
      if (!e.code.statements) throw unsupported(file, e.line, `Python beyond assertions and assignments in %{ }% (${e.code.unparsed})`);
      return;
    case 'command':
      return;
  }
}
