/**
 * The local host's TCP InSegs counter (/proc/net/snmp, per network namespace): it
 * counts every segment the host's TCP receives, so once it has moved past an
 * injection the host has taken that segment in, and the script's next system call
 * sees its effect (packetdrill's TUN write gives the same order).
 */
import { readFileSync } from 'node:fs';
import { inNamespace } from '../topology/index.js';

export function parseInSegs(snmp: string): number {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) throw new Error('no Tcp lines in /proc/net/snmp');
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  const i = names.indexOf('InSegs');
  if (i < 0) throw new Error('no InSegs in /proc/net/snmp');
  return Number(values[i]);
}

/** InSegs of the network namespace `ns` (a linux host), read from this thread moved into it. */
export function inSegsOf(ns: string): number {
  return parseInSegs(inNamespace(ns, () => readFileSync('/proc/thread-self/net/snmp', 'utf8')));
}
