/** Recorded traces and bundles for the diff tests (test/diff/fixtures). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CaseTrace, TraceSegment, TraceHost } from '../../harness/trace/types.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A trace recorded on this project's machine: `name` is e.g. "half-close-ipv4-a". */
export function recordedTrace(name: string): CaseTrace {
  return JSON.parse(readFileSync(`${FIXTURES}traces/${name}.json`, 'utf8')) as CaseTrace;
}

export function fixturePath(name: string): string {
  return `${FIXTURES}${name}`;
}

export const HOSTS: TraceHost[] = [
  { name: 'client', ipv4: '198.18.7.1', ipv6: 'fd74:6370:6c00:7::1', mac: '02:74:63:00:07:01' },
  { name: 'server', ipv4: '198.18.7.2', ipv6: 'fd74:6370:6c00:7::2', mac: '02:74:63:00:07:02' },
];

let n = 0;
/** A segment with defaults for what a test does not care about. */
export function seg(from: 'client' | 'server', flags: string, rseq: number, rack: number, more: Partial<TraceSegment> = {}): TraceSegment {
  n++;
  return {
    n,
    t: n / 1000,
    from,
    to: from === 'client' ? 'server' : 'client',
    src: from === 'client' ? '198.18.7.1' : '198.18.7.2',
    sport: from === 'client' ? 40000 : 8080,
    dst: from === 'client' ? '198.18.7.2' : '198.18.7.1',
    dport: from === 'client' ? 8080 : 40000,
    seq: 1000 + rseq,
    ack: flags.includes('ACK') ? 5000 + rack : 0,
    rseq,
    rack,
    flags,
    win: 500,
    len: 0,
    options: [],
    conn: 1,
    ...more,
  };
}

export function trace(segments: TraceSegment[], more: Partial<CaseTrace> = {}): CaseTrace {
  return {
    version: 1,
    case: 'synthetic',
    file: '/somewhere/cases/x/synthetic.case.ts',
    family: 'ipv4',
    status: 'passed',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    hosts: HOSTS,
    segments,
    otherFrames: [],
    sockets: [],
    calls: [],
    kernelEvents: [],
    wire: null,
    files: { pcap: 'wire.pcap', ladder: 'ladder.txt' },
    ...more,
  };
}
