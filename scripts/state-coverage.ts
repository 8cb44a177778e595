/**
 * What a rootless run's sampling sees of the states a root run's tracepoint reports:
 * the same cases run twice (once as root, once with --rootless), compared socket by
 * socket. Prints, per state, how often the tracepoint reported it and how often
 * sampling saw it, and the sockets whose sampled states are not an ordered subset of
 * the traced ones (which would be a fault of the sampler, not of sampling).
 *
 *   node --import tsx scripts/state-coverage.ts <traced run dir> <sampled run dir>
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseTrace } from '../harness/trace/types.js';

function traces(dir: string): Map<string, CaseTrace> {
  const out = new Map<string, CaseTrace>();
  for (const d of readdirSync(dir)) {
    const f = join(dir, d, 'trace.json');
    if (existsSync(f)) out.set(d, JSON.parse(readFileSync(f, 'utf8')) as CaseTrace);
  }
  return out;
}

/** States entered, in order; a sampled "seen CLOSED" (CLOSED → CLOSED) counts as CLOSED. */
function states(s: CaseTrace['sockets'][number]): string[] {
  return s.transitions.map((t) => t.to);
}

function orderedSubset(small: string[], big: string[]): boolean {
  let j = 0;
  for (const s of big) if (j < small.length && s === small[j]) j++;
  return j === small.length;
}

const [tracedDir, sampledDir] = process.argv.slice(2);
if (!tracedDir || !sampledDir) {
  process.stderr.write('usage: node --import tsx scripts/state-coverage.ts <traced run dir> <sampled run dir>\n');
  process.exit(2);
}
const traced = traces(tracedDir);
const sampled = traces(sampledDir);
const count = new Map<string, { traced: number; sampled: number }>();
const odd: string[] = [];
let sockets = 0;
for (const [dir, a] of traced) {
  const b = sampled.get(dir);
  if (!b) continue;
  if (a.states?.source === 'sampled' || b.states?.source !== 'sampled') {
    process.stderr.write(`${dir}: the first run must be traced and the second sampled\n`);
    process.exit(2);
  }
  for (const sa of a.sockets) {
    const sb = b.sockets.find((s) => s.label === sa.label);
    if (!sb) continue;
    sockets++;
    const [ta, tb] = [states(sa), states(sb)];
    for (const s of ta) (count.get(s) ?? count.set(s, { traced: 0, sampled: 0 }).get(s)!).traced++;
    for (const s of tb) (count.get(s) ?? count.set(s, { traced: 0, sampled: 0 }).get(s)!).sampled++;
    // a sampled CLOSED of a socket whose traced history ends before CLOSED (still open at the end) is not a fault
    const tbComparable = ta.at(-1) !== 'CLOSED' && tb.at(-1) === 'CLOSED' ? tb.slice(0, -1) : tb;
    if (!orderedSubset(tbComparable, ta)) odd.push(`${dir} ${sa.label}: traced ${ta.join(' ')} | sampled ${tb.join(' ')}`);
  }
}
const rows = [...count].sort(([x], [y]) => (x < y ? -1 : 1));
console.log(`${sockets} sockets in ${[...traced.keys()].filter((d) => sampled.has(d)).length} case runs`);
console.log(`${'state'.padEnd(12)} ${'traced'.padStart(7)} ${'sampled'.padStart(8)}  seen`);
for (const [s, c] of rows) console.log(`${s.padEnd(12)} ${String(c.traced).padStart(7)} ${String(c.sampled).padStart(8)}  ${c.traced ? `${Math.round((100 * Math.min(c.sampled, c.traced)) / c.traced)}%` : '-'}`);
console.log(odd.length ? `\nsampled states not an ordered subset of the traced ones:\n  ${odd.join('\n  ')}` : '\nevery socket: the sampled states are an ordered subset of the traced ones');
