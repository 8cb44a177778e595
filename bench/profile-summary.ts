/**
 * Where a CPU profile's time went: `node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top N]`
 *
 * For profiles written by `node --cpu-prof` (for example NODE_OPTIONS='--cpu-prof
 * --cpu-prof-dir=DIR' around one benchmark): self time per function and per file,
 * and the share of idle, GC and native code, so that a figure's bound can be named.
 */
import { readFileSync } from 'node:fs';
import { numArg } from './lib/common.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: bench/profile-summary.ts FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const top = numArg('--top', 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules\/|harness\/|bench\/)/, '$1');
const fnKey = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
const sum = (key: (n: Node) => string) => {
  const m = new Map<string, number>();
  for (const [id, t] of self) {
    const k = key(byId.get(id)!);
    m.set(k, (m.get(k) ?? 0) + t);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
};
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
const out: string[] = [`${file}: ${(total / 1000).toFixed(0)} ms sampled over ${((p.endTime - p.startTime) / 1000).toFixed(0)} ms`, '', 'self time by function:'];
for (const [k, t] of sum(fnKey).slice(0, top)) out.push(`  ${pct(t)}  ${(t / 1000).toFixed(1).padStart(8)} ms  ${k}`);
out.push('', 'self time by file:');
for (const [k, t] of sum((n) => short(n.callFrame.url) || `(${n.callFrame.functionName})`).slice(0, top)) out.push(`  ${pct(t)}  ${(t / 1000).toFixed(1).padStart(8)} ms  ${k}`);
process.stdout.write(out.join('\n') + '\n');
