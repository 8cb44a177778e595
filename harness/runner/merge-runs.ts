/**
 * `tcpladder merge DIR…`: the run folders of a run's shards (or of any runs on one stack
 * whose cases do not overlap) joined into one run folder: every case folder copied in,
 * summary.json, bundle.json, report.html and summary.md made afresh from them, as one
 * unsharded run would have written them. The folders come from other machines: what they
 * hold is checked, and anything wrong is one InputError naming the file and the field.
 */
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, fieldName } from '../input-error.js';
import { readJsonFile, readBundle, writeBundle, bundlePath } from '../diff/index.js';
import { readTraces, writeSummary, type RunSummaryFile, type SummaryCase } from './summary.js';
import { runReportInput, writeReport, writeSummaryMd } from './report.js';
import { SHARD_FILE, type ShardRecord } from './shard.js';
import { shownPath } from './paths.js';

const Verdict = z.enum(['passed', 'failed', 'known-failure', 'not-applicable']);

/** summary.json as merge needs it; fields it does not use pass through untouched. */
const SummaryFile = z.looseObject({
  version: z.literal(1),
  kind: z.undefined({ message: 'a matrix run: merge joins runs on one stack (merge each stack\'s folder, captures/<run>/<stack>/)' }).optional(),
  run: z.string(),
  startedAt: z.iso.datetime(),
  durationMs: z.number().nonnegative(),
  kernel: z.string(),
  node: z.string(),
  cases: z.array(
    z.looseObject({
      case: z.string(),
      family: z.enum(['ipv4', 'ipv6']),
      file: z.string(),
      status: Verdict,
      durationMs: z.number(),
      dir: z.string().regex(/^[^/\\]+$/, 'a folder name inside the run folder'),
    }),
  ),
  problems: z.array(z.object({ title: z.string(), file: z.string(), message: z.string() })).optional(),
});

const ShardFile = z.object({ index: z.number().int().min(1), count: z.number().int().min(1), files: z.array(z.string()) }).refine((s) => s.index <= s.count, { message: 'index is above count', path: ['index'] });

function parse<T>(schema: z.ZodType<T>, file: string): T {
  const r = schema.safeParse(readJsonFile(file));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(issue.message, { file, field: fieldName(issue.path) });
  }
  return r.data;
}

interface ShardRun {
  dir: string;
  summary: RunSummaryFile;
  shard: ShardRecord | null;
}

function readRun(dir: string): ShardRun {
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) throw new InputError('not a tcpladder run folder (no summary.json)', { file: dir });
  const summary = parse(SummaryFile, file) as unknown as RunSummaryFile;
  summary.cases.forEach((c, i) => {
    if (!existsSync(join(dir, c.dir, 'trace.json'))) throw new InputError(`${c.dir}/trace.json is missing`, { file, field: `cases[${i}].dir` });
  });
  const shardFile = join(dir, SHARD_FILE);
  return { dir, summary, shard: existsSync(shardFile) ? parse(ShardFile, shardFile) : null };
}

/** Shards of one plan, each once and none missing; plain runs (no shard.json) need only not overlap. */
function checkShards(runs: ShardRun[]): void {
  const sharded = runs.filter((r) => r.shard);
  if (sharded.length === 0) return;
  const plain = runs.find((r) => !r.shard);
  if (plain) throw new InputError(`no ${SHARD_FILE}, while ${sharded[0]!.dir} is shard ${sharded[0]!.shard!.index}/${sharded[0]!.shard!.count}`, { file: plain.dir });
  const count = sharded[0]!.shard!.count;
  const seen = new Map<number, string>();
  for (const r of sharded) {
    const s = r.shard!;
    const file = join(r.dir, SHARD_FILE);
    if (s.count !== count) throw new InputError(`shard ${s.index}/${s.count} does not belong with ${sharded[0]!.dir}'s ${count} shards`, { file, field: 'count' });
    if (seen.has(s.index)) throw new InputError(`shard ${s.index}/${count} is also ${seen.get(s.index)}`, { file, field: 'index' });
    seen.set(s.index, r.dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: give every shard's run folder`);
}

function profileOf(runs: ShardRun[]): string | null {
  const profiles = new Map<string | null, string>();
  for (const r of runs) if (existsSync(bundlePath(r.dir))) profiles.set(readBundle(r.dir).profile, r.dir);
  if (profiles.size > 1) {
    const [[a, da], [b, db]] = [...profiles];
    throw new InputError(`profile ${b ?? '(none)'}, while ${da} ran with ${a ?? '(none)'}: merge runs of one profile`, { file: bundlePath(db), field: 'profile' });
  }
  return [...profiles.keys()][0] ?? null;
}

export interface MergedRun {
  summary: RunSummaryFile;
  /** how many shards the runs were, or null for plain runs */
  shards: number | null;
}

/** Joins the run folders `dirs` into `out` (new or empty), as run `run`. */
export function mergeRuns(dirs: string[], out: string, run: string): MergedRun {
  if (dirs.length === 0) throw new InputError('no run folder to merge');
  const runs = dirs.map(readRun);
  checkShards(runs);
  const profile = profileOf(runs);
  const owner = new Map<string, string>();
  for (const r of runs) {
    r.summary.cases.forEach((c, i) => {
      const key = `${c.file}\u0000${c.case}\u0000${c.family}`;
      const other = owner.get(key);
      if (other) throw new InputError(`"${c.case}" [${c.family}] of ${c.file} is also in ${other}`, { file: join(r.dir, 'summary.json'), field: `cases[${i}]` });
      owner.set(key, r.dir);
    });
  }
  if (existsSync(out) && readdirSync(out).length > 0) throw new InputError('exists and is not empty: merge writes a new run folder', { file: shownPath(out) });
  mkdirSync(out, { recursive: true });

  const cases: SummaryCase[] = [];
  for (const r of runs) {
    for (const c of r.summary.cases) {
      let dir = c.dir;
      for (let n = 2; existsSync(join(out, dir)); n++) dir = `${c.dir}-${n}`;
      cpSync(join(r.dir, c.dir), join(out, dir), { recursive: true });
      cases.push({ ...c, dir });
    }
  }
  cases.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const start = Math.min(...runs.map((r) => Date.parse(r.summary.startedAt)));
  const end = Math.max(...runs.map((r) => Date.parse(r.summary.startedAt) + r.summary.durationMs));
  const count = (s: SummaryCase['status']) => cases.filter((c) => c.status === s).length;
  const unique = (xs: string[]) => [...new Set(xs)].join('; ');
  const problems = runs.flatMap((r) => r.summary.problems ?? []);
  const summary: RunSummaryFile = {
    version: 1,
    run,
    startedAt: new Date(start).toISOString(),
    durationMs: end - start,
    kernel: unique(runs.map((r) => r.summary.kernel)),
    node: unique(runs.map((r) => r.summary.node)),
    passed: count('passed'),
    failed: count('failed'),
    knownFailures: count('known-failure'),
    notApplicable: count('not-applicable'),
    cases,
    ...(problems.length ? { problems } : {}),
  };
  writeSummary(out, summary);
  const traces = readTraces(out);
  writeBundle(out, { run, createdAt: new Date(start), profile }, traces.map((t) => t.trace));
  const input = runReportInput(summary, traces, profile ?? undefined);
  writeReport(out, input);
  writeSummaryMd(out, input);
  return { summary, shards: runs[0]!.shard?.count ?? null };
}
