/**
 * packetdrill parser speed: `node --import tsx bench/packetdrill-parse.ts [--rounds N] [--runs R]`
 *
 * Parses the project's own scripts (test/packetdrill/fixtures) N times per run (default
 * 200) and prints the median of R runs (default 5): µs per script and MB/s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePacketdrill } from '../harness/packetdrill/index.js';

const DIR = join(fileURLToPath(import.meta.url), '..', '..', 'test', 'packetdrill', 'fixtures');
const option = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = option('rounds', 200);
const runs = option('runs', 5);

const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith('.pkt'))
  .map((f) => ({ file: f, text: readFileSync(join(DIR, f), 'utf8') }));
const bytes = scripts.reduce((n, s) => n + s.text.length, 0);

const seconds: number[] = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const s of scripts) parsePacketdrill(s.text, s.file);
  seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const median = seconds.sort((a, b) => a - b)[Math.floor(runs / 2)];
const parses = rounds * scripts.length;
process.stdout.write(
  `${scripts.length} scripts (${bytes} bytes), ${rounds} rounds, median of ${runs} runs: ` +
    `${((median / parses) * 1e6).toFixed(0)} µs per script, ${((rounds * bytes) / 1e6 / median).toFixed(1)} MB/s\n`,
);
