/**
 * bench/results-detail.json as the Markdown table docs/PERFORMANCE.md shows:
 *   node --import tsx bench/table.ts [FILE]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figures, Figure } from './lib/common.js';

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results-detail.json');
const d = JSON.parse(readFileSync(file, 'utf8')) as {
  startedAt: string;
  machine: { nproc: number; kernel: string; cpu: string; node: string; memMiB: number };
  loadBefore: number[];
  loadAfter: number[];
  benchmarks: Record<string, { loadBefore: number[]; loadAfter: number[]; seconds: number }>;
  figures: Figures;
};

const num = (n: number | null, unit: string) =>
  n === null || !Number.isFinite(n) ? '—' : unit === 'frames/s' ? n.toLocaleString('en-US') : String(n);

function met(f: Figure): string {
  const m = /^(<=|>=)\s*([\d.]+)/.exec(f.goal ?? '');
  if (!m) return '';
  return (m[1] === '<=' ? f.value <= Number(m[2]) : f.value >= Number(m[2])) ? 'yes' : '**no**';
}

const rows = Object.entries(d.figures).map(
  ([name, f]) =>
    `| ${name} | ${num(f.value, f.unit)} ${f.unit} | ${f.reference === null ? '—' : `${num(f.reference, f.unit)} ${f.unit}`}${f.referenceName ? ` (${f.referenceName})` : ''} | ${(f.goal ?? '').replace(/>=/g, '≥').replace(/<=/g, '≤')} | ${met(f)} |`,
);
const m = d.machine;
process.stdout.write(
  [
    `Run of ${d.startedAt}: ${m.nproc} CPUs (${m.cpu}), ${Math.round(m.memMiB / 1024)} GiB, Linux ${m.kernel}, Node ${m.node}; load average ${d.loadBefore.join(' ')} at the start, ${d.loadAfter.join(' ')} at the end.`,
    '',
    '| figure | value (median) | reference, same run | goal | met |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '1-minute load when each benchmark started: ' +
      Object.entries(d.benchmarks)
        .map(([k, b]) => `${k} ${b.loadBefore[0]} (${b.seconds} s)`)
        .join(', ') +
      '.',
  ].join('\n') + '\n',
);
