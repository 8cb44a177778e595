/**
 * scripts/soak: run the catalogue (or the given paths) N times in a row, then M pairs
 * of runs at the same time, and print passes and failures per case.
 *
 *   scripts/soak [--runs N] [--pairs M] [--fast] [--at REV] [--out DIR] [--keep] [paths…]
 *   scripts/soak --report DIR…     the table again from DIR/soak.json (several: one tally)
 *
 * --at REV: run a snapshot of commit REV (`git archive` into a temporary folder, with
 * this checkout's node_modules linked in) instead of the working tree, so that edits
 * made in the tree while the soak runs (it takes an hour) cannot change what is soaked.
 * Paths are then relative to the snapshot.
 *
 * Every run is `node bin/tcpladder.js run --quiet [--fast] [paths…]` with its own run
 * id (TCPLADDER_RUN) and run folder (TCPLADDER_RUN_DIR=DIR/<label>); its output goes
 * to DIR/<label>.log. After each run the soak reads its summary.json and checks that
 * the run left nothing behind (scripts/leftovers.ts). Unless --keep, a run's folder
 * keeps only summary.json and the folders of its failed cases (trace.json, ladder,
 * pcap: the evidence). At the end: the table, DIR/soak.json and DIR/soak.txt.
 * Exit 0 when every run was clean, 1 otherwise, 2 on bad usage. Needs root.
 * Never retries anything: a failure is counted and kept.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, createWriteStream } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism as nproc, release, tmpdir } from 'node:os';
import { readRun, tally, formatTally, runClean, type RunOutcome } from './soak-lib.js';
import { leftovers, runProcesses } from './leftovers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: scripts/soak [--runs N] [--pairs M] [--fast] [--at REV] [--out DIR] [--keep] [paths…] | --report DIR';

interface Options {
  runs: number;
  pairs: number;
  fast: boolean;
  keep: boolean;
  out: string;
  at: string;
  paths: string[];
  /** the folder the runs start in: this checkout, or the snapshot of --at */
  tree: string;
  /** what was soaked: a commit, and whether the working tree had edits */
  source: string;
}

function parse(argv: string[]): Options {
  const o: Options = { runs: 30, pairs: 10, fast: false, keep: false, out: '', at: '', paths: [], tree: ROOT, source: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name: string): number => {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) fail(`${name} needs a whole number, got ${v ?? 'nothing'}`);
      return Number(v);
    };
    if (a === '--runs') o.runs = num(a);
    else if (a === '--pairs') o.pairs = num(a);
    else if (a === '--fast') o.fast = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--out') o.out = argv[++i] ?? fail('--out needs a folder');
    else if (a === '--at') o.at = argv[++i] ?? fail('--at needs a commit');
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else o.paths.push(a);
  }
  o.out ||= join(ROOT, 'captures', `soak-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
  return o;
}

function fail(msg: string): never {
  process.stderr.write(`soak: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

const stamp = Date.now().toString(36).slice(-4);
let seq = 0;

/** One `tcpladder run`, its processes watched while it runs, its leftovers checked after. */
async function oneRun(o: Options, label: string, phase: RunOutcome['phase']): Promise<RunOutcome> {
  const run = `sk${stamp}${(++seq).toString(36)}`;
  const dir = join(o.out, label);
  const env: NodeJS.ProcessEnv = { ...process.env, TCPLADDER_RUN: run, TCPLADDER_RUN_DIR: dir, NO_COLOR: '1' };
  for (const k of ['TCPLADDER_CASES_ONLY', 'TCPLADDER_CLI', 'TCPLADDER_COLOR', 'TCPLADDER_QUIET', 'TCPLADDER_SKIP_SLOW', 'VITEST', 'NODE_OPTIONS']) delete env[k];
  const args = ['bin/tcpladder.js', 'run', '--quiet', ...(o.fast ? ['--fast'] : []), ...o.paths];
  const log = createWriteStream(join(o.out, `${label}.log`));
  const t0 = Date.now();
  const pids = new Set<number>();
  const { exit, signal } = await new Promise<{ exit: number | null; signal: string | null }>((done) => {
    const child = spawn(process.execPath, args, { cwd: o.tree, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const watch = setInterval(() => {
      for (const p of runProcesses(run)) pids.add(p.pid);
    }, 250);
    child.on('close', (code, sig) => {
      clearInterval(watch);
      done({ exit: code, signal: sig });
    });
  });
  log.end();
  const seconds = (Date.now() - t0) / 1000;
  const { cases, problems } = readRun(dir);
  // a sidecar or trace reader dies with its parent through PR_SET_PDEATHSIG, which the
  // kernel delivers as the parent exits: give it two seconds, then count what is left
  let left = leftovers(run, pids);
  for (let i = 0; i < 20 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = leftovers(run, pids);
  }
  problems.push(...left.map((l) => `left behind: ${l}`));
  const outcome: RunOutcome = { label, phase, run, dir, exit, signal, seconds, cases, problems };
  if (!o.keep && existsSync(dir)) {
    // keep the summary and the folders of failed cases (their trace, ladder and pcap are
    // the evidence); drop the rest (pcaps: tens of MB per run)
    const keep = new Set(['summary.json', ...cases.filter((c) => c.status !== 'passed' && c.dir).map((c) => c.dir!)]);
    if (!runClean(outcome) && !cases.length) keep.add('report.html');
    for (const f of readdirSync(dir)) if (!keep.has(f)) rmSync(join(dir, f), { recursive: true, force: true, maxRetries: 2 });
  }
  return outcome;
}

function line(r: RunOutcome): string {
  const passed = r.cases.filter((c) => c.status === 'passed').length;
  const failed = r.cases.length - passed;
  const head = `${r.label.padEnd(10)} run ${r.run}: ${passed} passed, ${failed} failed, exit ${r.exit ?? r.signal}, ${r.seconds.toFixed(0)} s`;
  const details = [
    ...r.cases.filter((c) => c.status !== 'passed').map((c) => `    ✗ ${c.key}: ${c.error ?? 'failed'}`),
    ...r.problems.map((p) => `    ✗ ${p}`),
  ];
  return [head, ...details].join('\n') + '\n';
}

async function main(): Promise<number> {
  if (process.argv[2] === '--report') {
    // one soak, or several (e.g. an interrupted one and its continuation): one tally
    const dirs = process.argv.slice(3);
    if (!dirs.length) fail('--report needs the soak folder(s)');
    const all: RunOutcome[] = [];
    for (const dir of dirs) {
      const saved = JSON.parse(readFileSync(join(dir, 'soak.json'), 'utf8')) as { options: Options; outcomes: RunOutcome[] };
      const seq = saved.outcomes.filter((r) => r.phase === 'sequential').length;
      const pairs = saved.outcomes.filter((r) => r.phase === 'concurrent').length / 2;
      process.stdout.write(`soak ${dir}: ${seq} sequential + ${pairs} concurrent pairs of the ${saved.options.source}\n`);
      all.push(...saved.outcomes.map((r) => (dirs.length > 1 ? { ...r, label: `${basename(dir)}/${r.label}` } : r)));
    }
    process.stdout.write(`\n${formatTally(tally(all))}`);
    return 0;
  }
  const o = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root, like tcpladder run');
  o.out = resolve(o.out);
  mkdirSync(o.out, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  if (o.at) {
    const commit = git('rev-parse', '--verify', `${o.at}^{commit}`);
    o.tree = mkdtempSync(join(tmpdir(), `tcpladder-soak-${commit.slice(0, 12)}-`));
    const tree = o.tree;
    process.once('exit', () => rmSync(tree, { recursive: true, force: true }));
    // a signal ends the soak (its current runs get it too, being in its process group): 'exit' handlers run
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
    execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "$1"`, 'sh', o.tree], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(o.tree, 'node_modules'));
    o.source = `commit ${commit} (snapshot in ${o.tree})`;
  } else {
    const edits = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length;
    o.source = `working tree at ${git('rev-parse', 'HEAD')}${edits ? ` with ${edits} modified tracked files` : ''}`;
  }
  const outcomes: RunOutcome[] = [];
  const say = (s: string) => process.stdout.write(s);
  const started = new Date();
  say(
    `soak: ${o.runs} sequential runs, ${o.pairs} concurrent pairs of ${o.paths.length ? o.paths.join(' ') : 'cases/'}${o.fast ? ' (--fast: slow cases skipped)' : ''}\n` +
      `soak: output in ${o.out}\nsoak: soaking the ${o.source}\n`,
  );
  const save = () => {
    writeFileSync(join(o.out, 'soak.json'), JSON.stringify({ startedAt: started.toISOString(), options: o, outcomes }, null, 1) + '\n');
  };
  for (let i = 1; i <= o.runs; i++) {
    const r = await oneRun(o, `seq-${String(i).padStart(2, '0')}`, 'sequential');
    outcomes.push(r);
    say(line(r));
    save();
  }
  for (let i = 1; i <= o.pairs; i++) {
    const n = String(i).padStart(2, '0');
    const pair = await Promise.all([oneRun(o, `pair-${n}a`, 'concurrent'), oneRun(o, `pair-${n}b`, 'concurrent')]);
    outcomes.push(...pair);
    for (const r of pair) say(line(r));
    save();
  }
  const t = tally(outcomes);
  const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1);
  const text = `\nsoak: ${o.runs} sequential + ${o.pairs} concurrent pairs of the ${o.source} in ${minutes} min (kernel ${release()}, ${nproc()} CPUs)\n\n${formatTally(t)}`;
  say(text);
  writeFileSync(join(o.out, 'soak.txt'), outcomes.map(line).join('') + text);
  save();
  return t.cleanRuns === t.runs ? 0 : 1;
}

process.exitCode = await main();
