/** Is this process root of the machine, as tcpladder needs (tracefs is not reachable from a user namespace)? */
import { readFileSync } from 'node:fs';

export function privilegeProblem(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for network namespaces, veth links and tracefs (try sudo; tcpladder doctor checks the rest)';
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    // the initial user namespace maps all 2^32 - 1 ids from 0; anything else is a user namespace
    if (map[0] !== '0' || map[1] !== '0' || map[2] !== '4294967295') {
      return 'runs as root of a user namespace: namespaces and capture would work, but kernel tracepoints (tracefs) need the real root (see docs/RELIABILITY.md, least privilege)';
    }
  } catch {
    // no /proc/self/uid_map: a kernel without user namespaces, so this is the real root
  }
  return null;
}
