/**
 * Real trace_pipe lines captured on this project's machines by fixtures/capture-tracefs.sh
 * (a tracefs instance and a namespace of its own, the events tcpladder enables,
 * trace_clock mono): active close, refused connect, abortive close (IPv4 and IPv6),
 * data and SYN retransmissions.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTraceLine, type KernelEvent } from '../../harness/observe/events.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/tracefs-lines.txt', import.meta.url));

export function fixtureLines(): string[] {
  return readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);
}

export function fixtureEvents(): KernelEvent[] {
  return fixtureLines().map((l) => {
    const e = parseTraceLine(l);
    if (!e) throw new Error(`fixture line does not parse: ${l}`);
    return e;
  });
}

/** The fixture's addresses: everything ran inside one namespace. */
export const A4 = '198.18.200.1';
export const A6 = 'fd74:6370:6c00:c8::1';
