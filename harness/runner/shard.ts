/**
 * `tcpladder run --shard i/n`: a deterministic share of the case files. Shards are made of
 * whole files (vitest runs a file in one worker), balanced by case count: a file weighs
 * the number of cases it declares (its tcpCase calls; a .pkt script is one case), the
 * heaviest file goes first to the lightest shard, ties by path. Every machine that plans
 * the same files into the same n gets the same shards: disjoint, and all of them together.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** What a shard's run folder records (shard.json), so that `tcpladder merge` can check the set. */
export interface ShardRecord extends Shard {
  /** the case files it ran, relative to the working folder */
  files: string[];
}

export const SHARD_FILE = 'shard.json';

const isCaseFile = (f: string) => f.endsWith('.case.ts') || f.endsWith('.pkt');

/** The case files a run of these paths takes (as vitest's include globs do), absolute and sorted. */
export function listCaseFiles(paths: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    if (!statSync(abs).isDirectory()) {
      out.add(abs);
      continue;
    }
    for (const f of readdirSync(abs, { recursive: true, encoding: 'utf8' })) {
      if (isCaseFile(f) && !f.split('/').includes('node_modules')) out.add(join(abs, f));
    }
  }
  return [...out].sort();
}

/** The cases a file declares: tcpCase calls in a .case.ts (at least one), one per .pkt script. */
export function caseWeight(file: string): number {
  if (file.endsWith('.pkt')) return 1;
  return Math.max(1, (readFileSync(file, 'utf8').match(/\btcpCase\s*\(/g) ?? []).length);
}

/** The files of each shard, shard 1 first; `files` keyed by a path every machine names alike. */
export function planShards(files: { key: string; weight: number }[], count: number): string[][] {
  const shards = Array.from({ length: count }, () => ({ weight: 0, keys: [] as string[] }));
  const order = [...files].sort((a, b) => b.weight - a.weight || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const f of order) {
    let lightest = shards[0]!;
    for (const s of shards) if (s.weight < lightest.weight) lightest = s;
    lightest.weight += f.weight;
    lightest.keys.push(f.key);
  }
  return shards.map((s) => s.keys.sort());
}

/** The absolute case files of `shard`, among the files under `paths`. */
export function shardFiles(paths: string[], shard: Shard): { files: string[]; total: number } {
  const all = listCaseFiles(paths);
  const keyed = all.map((abs) => ({ key: relative(process.cwd(), abs), weight: caseWeight(abs) }));
  const mine = new Set(planShards(keyed, shard.count)[shard.index - 1]);
  return { files: all.filter((abs) => mine.has(relative(process.cwd(), abs))), total: all.length };
}
