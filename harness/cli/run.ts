/**
 * tcpladder run [paths…]: run cases (default: cases/) with vitest in worker processes,
 * a progress line per case from tcpladder's reporter, then the run's summary,
 * report.html, and on request JSON on stdout or a JUnit file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runId, privilegeProblem, realRoot, rootless } from '../topology/index.js';
import { runDir } from '../case/paths.js';
import {
  REPORT_FILE,
  SUMMARY_MD_FILE,
  buildSummary,
  readSummary,
  renderJunit,
  runExitCode,
  runJson,
  runReportInput,
  shownPath,
  wantColour,
  writeReport,
  writeSummary,
  writeSummaryMd,
  endInterruptedRun,
} from '../runner/index.js';
import { SETUP_ERROR_FILE } from '../runner/paths.js';
import { shardFiles, SHARD_FILE, type Shard, type ShardRecord } from '../runner/shard.js';
import { folderBytes, formatBytes } from '../runner/folder-size.js';
import { publishSummaryMd } from '../runner/step-summary.js';
import { EXIT, parseArgs, UsageError, type Io } from './io.js';
import { loadProfile } from '../profiles/index.js';
import { InputError } from '../input-error.js';
import { runProfiles } from './profile-runs.js';
import { runRootless } from './rootless.js';
import { parseStacks, stacksUsed, checkInstalled, checkProfileOnStacks, stackEnv } from './stack-args.js';
import { runMatrix } from './matrix.js';
import { formatTap, TOLERANCE_FACTOR_ENV } from '../packetdrill/index.js';

export const RUN_HELP = `tcpladder run [paths…] [options]

Runs the conformance cases (.case.ts) and packetdrill scripts (.pkt) in the given
files or folders (default: cases/) on network-namespace hosts. Prints a line per
case as it ends (n/N, name, time), the expected/observed table and text ladder of
every failure, and a summary.
Writes captures/<run>/: per case wire.pcap, trace.json, ladder.txt, ladder.svg,
ladder.mmd; for the run summary.json, report.html (open it in a browser) and
summary.md (Markdown for a CI job summary, appended to $GITHUB_STEP_SUMMARY when set).

Options:
  --fast          skip cases marked slow (they wait on minute-long kernel timers)
  --quiet         print only failures and the summary
  --json          print the run's summary as JSON on stdout (progress goes to stderr)
  --junit FILE    also write JUnit XML to FILE (one testcase per case and family)
  --summary-md FILE   also write the run's summary.md to FILE
  --shard I/N     run the I-th of N shares of the case files: whole files, balanced
                  by their case count (tcpCase calls; a .pkt is one), the same plan on
                  every machine; tcpladder merge joins the shards' run folders into one
  --profile NAME  apply sysctl profile cases/profiles/NAME.json to every host that
                  does not pin its own; repeat it (--profile A --profile B) to run
                  the cases once per profile and print the diff of the bundles
  --workers N     run up to N case files at once, per stack in a matrix (default on
                  linux: twice the CPUs, at least 4, as cases mostly wait on the
                  network and on kernel timers; with guests: one less than the CPUs)
  --stack NAME    run every host that pins none on stack NAME: linux (this machine's
                  kernel, the default), uml (Linux 6.1 as User-Mode Linux) or gvisor
                  (gVisor's netstack); --stack HOST=NAME for one host (repeatable)
  --stacks A,B,…  the matrix: every case once per stack (e.g. linux,uml,gvisor),
                  a verdict per case and stack, captures/<run>/<stack>/; a failure
                  listed in cases/stacks/<stack>.json is a known failure (exit 0)
  --rootless      run in a user namespace as a user would (what runs without root
                  do by themselves): states sampled through sock_diag, not traced
  --tap, --ktap   print the results as TAP 13 (or KTAP, as kselftest does) on stdout
  --tolerance-factor N   multiply packetdrill scripts' timing tolerances by N (slow CI)
  -h, --help      this text

Under GitHub Actions (GITHUB_ACTIONS set) every failure is also an ::error
annotation at the line of its case file (or .pkt script) that failed.
Colour only on a terminal, never when NO_COLOR is set. Without root, runs rootless
where the kernel allows user namespaces: a state shorter than the ~1 ms between two
samples is not seen and kernel events are not recorded (docs/ROOTLESS.md).

Exit codes:
  0  every case passed
  1  a case failed (or a case file did not load)
  2  bad usage or input (unknown option, no such path, neither root nor user
     namespaces), also when a case failed on bad input in its case file or
     profile (a port out of range, a malformed pattern, an unknown host): the
     results are incomplete
`;

const REPORTER = fileURLToPath(new URL('../runner/reporter-entry.ts', import.meta.url));

export interface VitestRun {
  /** vitest include globs */
  include: string[];
  workers?: string;
  /** stdout carries JSON: vitest's output goes to stderr */
  json: boolean;
  env: Record<string, string>;
}

/**
 * Case files run at once by default. A case mostly waits (on the wire, on kernel timers),
 * so more workers than CPUs pay off; measured in docs/PERFORMANCE.md (Catalogue).
 */
export function defaultWorkers(stacks: readonly string[]): string | undefined {
  // guests keep the CPUs busy themselves (and a matrix runs its stacks at once): vitest's
  // default there, one less than the CPUs per stack
  if (stacks.some((s) => s !== 'linux')) return undefined;
  return String(Math.max(4, 2 * availableParallelism()));
}

/** One run of the cases in vitest's worker processes, into `dir`; resolves with vitest's exit code. */
export function runVitest(run: string, dir: string, o: VitestRun): Promise<number> {
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  // vitest's main process mostly waits for its workers: V8 set for size, the young
  // generation as the workers' (vitest.config.ts execArgv); its config loaded by vite's
  // module runner, not bundled by rolldown, whose allocator kept what the bundling took
  // (docs/PERFORMANCE.md, Peak memory)
  const vitestArgs = [
    '--max-semi-space-size=2',
    '--optimize-for-size',
    vitest,
    'run',
    '--configLoader',
    'runner',
    `--reporter=${REPORTER}`,
    ...(o.workers ? [`--maxWorkers=${o.workers}`] : []),
  ];
  const env = {
    // for vitest's main process too (vitest.config.ts says why)
    MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
    ...process.env,
    TCPLADDER_RUN: run,
    TCPLADDER_RUN_DIR: dir,
    TCPLADDER_INCLUDE: JSON.stringify(o.include),
    TCPLADDER_CLI: '1',
    ...o.env,
  };
  return new Promise<number>((done) => {
    const child = spawn(process.execPath, vitestArgs, { stdio: ['inherit', o.json ? 2 : 'inherit', 'inherit'], env });
    let interrupted: NodeJS.Signals | null = null;
    const forward = (sig: NodeJS.Signals) => {
      interrupted ??= sig;
      child.kill(sig);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (c, sig) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      // interrupted, the signal's code whatever vitest's ending was (a worker killed by the
      // same Ctrl-C before vitest's main process saw it makes vitest fail with 1)
      const stopped = interrupted ?? sig;
      const code = stopped === 'SIGTERM' ? 143 : stopped ? 130 : (c ?? 1);
      // an interrupted run's processes may outlive vitest (a worker in the middle of a case)
      // or be killed before they cleaned up: they get a moment, then what they held goes
      if (!interrupted || rootless()) return done(code);
      endInterruptedRun(run)
        .catch((e: unknown) => void process.stderr.write(`tcpladder: cleaning up: ${(e as Error).message}\n`))
        .finally(() => done(code));
    });
  });
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    flags: ['--fast', '--quiet', '--json', '--tap', '--ktap', '--rootless', '-h', '--help'],
    values: ['--junit', '--summary-md', '--workers', '--stacks', '--tolerance-factor', '--shard'],
    repeatable: ['--profile', '--stack'],
  });
  if (args.flags.has('-h') || args.flags.has('--help')) {
    io.stdout(RUN_HELP);
    return EXIT.ok;
  }
  const json = args.flags.has('--json');
  const quiet = args.flags.has('--quiet');
  const junit = args.value('--junit');
  if (junit !== undefined && !existsSync(dirname(resolve(junit)))) throw new UsageError(`--junit ${junit}: no such folder ${dirname(junit)}`);
  const summaryMd = args.value('--summary-md');
  if (summaryMd !== undefined && !existsSync(dirname(resolve(summaryMd)))) throw new UsageError(`--summary-md ${summaryMd}: no such folder ${dirname(summaryMd)}`);
  const shardText = args.value('--shard');
  const shard = shardText === undefined ? null : parseShard(shardText);
  const givenWorkers = args.value('--workers');
  if (givenWorkers !== undefined && !(/^[1-9]\d*$/.test(givenWorkers) && Number(givenWorkers) <= 64)) throw new UsageError(`--workers ${givenWorkers}: a whole number from 1 to 64`);
  const paths = args.positionals.length ? args.positionals : ['cases'];
  // the files to run, as vitest include globs: any path, also outside cases/
  const include: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`no such case file or folder: ${p}`);
    const abs = resolve(p);
    if (statSync(p).isFile()) {
      if (!p.endsWith('.case.ts') && !p.endsWith('.pkt')) throw new UsageError(`${p}: case files end in .case.ts, packetdrill scripts in .pkt`);
      include.push(abs);
    } else {
      include.push(`${abs}/**/*.case.ts`, `${abs}/**/*.pkt`);
    }
  }
  if (shard && args.value('--stacks') !== undefined) throw new UsageError('--shard and --stacks: give one (tcpladder merge joins runs on one stack)');
  const factor = args.value('--tolerance-factor');
  if (factor !== undefined && !(/^\d+(\.\d+)?$/.test(factor) && Number(factor) > 0 && Number(factor) <= 1000)) {
    throw new UsageError(`--tolerance-factor ${factor}: a number above 0 (1 = packetdrill's own tolerances)`);
  }
  const tap = args.flags.has('--tap') ? 'tap' : args.flags.has('--ktap') ? 'ktap' : null;
  if (tap && args.flags.has('--tap') && args.flags.has('--ktap')) throw new UsageError('--tap and --ktap: give one');
  if (tap && json) throw new UsageError(`--${tap} and --json both print on stdout: give one`);
  const profiles = args.values['--profile'] ?? [];
  const stacks = parseStacks(args.values['--stack'] ?? [], args.value('--stacks'));
  const workers = givenWorkers ?? defaultWorkers(stacks.matrix ? stacks.matrix : stacksUsed(stacks));
  checkInstalled(stacksUsed(stacks));
  for (const p of profiles) {
    let profile;
    try {
      profile = loadProfile(p);
    } catch (e) {
      throw e instanceof InputError ? new UsageError(`--profile ${p}: ${e.message}`) : e;
    }
    checkProfileOnStacks(profile, stacksUsed(stacks));
  }
  if (profiles.length > 1 && (json || junit !== undefined)) throw new UsageError('--json and --junit take a single --profile');
  if (profiles.length > 1 && stacks.matrix) throw new UsageError('--stacks takes a single --profile (it applies on every stack)');
  if (stacksUsed(stacks).some((s) => s !== 'linux') && (rootless() || args.flags.has('--rootless') || !realRoot())) {
    throw new UsageError('User-Mode Linux and gVisor hosts need the real root (rootless runs have linux hosts only)');
  }
  // not the real root (a user, or root of a user namespace, as in a rootless container): rootless
  if (!rootless() && (args.flags.has('--rootless') || !realRoot())) return runRootless(argv, io, json ? io.stderr : io.stdout);
  const problem = privilegeProblem();
  if (problem) throw new UsageError(problem);

  if (profiles.length > 1) return runProfiles(profiles, argv, io, runCommand);

  const run = runId();
  const dir = runDir();
  // with --json or --tap, stdout carries only that: progress goes to stderr
  const quietStdout = json || tap !== null;
  const progress = quietStdout ? process.stderr : process.stdout;
  const say = quietStdout ? io.stderr : io.stdout;
  let planned: ShardRecord | null = null;
  if (shard) {
    const { files, total } = shardFiles(paths, shard);
    planned = { ...shard, files: files.map((f) => relative(process.cwd(), f)) };
    say(`shard ${shard.index}/${shard.count}: ${files.length} of ${total} case files\n`);
    if (files.length === 0) return emptyShard(run, dir, planned, { json, summaryMd, say, io });
    include.splice(0, include.length, ...files);
  }
  const options: VitestRun = {
    include,
    workers,
    json: quietStdout,
    env: {
      TCPLADDER_COLOR: wantColour(progress) ? '1' : '0',
      TCPLADDER_QUIET: quiet ? '1' : '0',
      ...(profiles.length ? { TCPLADDER_PROFILE: profiles[0] } : {}),
      ...(args.flags.has('--fast') ? { TCPLADDER_SKIP_SLOW: '1' } : {}),
      ...(factor !== undefined ? { [TOLERANCE_FACTOR_ENV]: factor } : {}),
    },
  };
  if (stacks.matrix) return runMatrix({ run, dir, stacks: stacks.matrix, hosts: stacks.hosts, vitest: options, json, junit, summaryMd, tap, io });
  const code = await runVitest(run, dir, { ...options, env: { ...options.env, ...stackEnv(stacks.all, stacks.hosts) } });

  const summary = readSummary(dir);
  const exit = runExitCode(summary, code);
  if (junit !== undefined && summary) writeFileSync(junit, renderJunit(summary, dir));
  const setupError = join(dir, SETUP_ERROR_FILE);
  if (summary === null && existsSync(setupError)) {
    // the run could not start (a stack's guest does not start): one line, as bad usage
    const error = readFileSync(setupError, 'utf8').trim();
    io.stderr(`tcpladder run: ${error}\n`);
    if (json) io.stdout(JSON.stringify(runJson(run, dir, null, EXIT.usage, error), null, 1) + '\n');
    return EXIT.usage;
  }
  if (summary === null) {
    const error = code > 128 ? `interrupted (exit ${code}) before any case ended` : `no case ran (vitest exited ${code})`;
    io.stderr(`tcpladder: ${error}\n`);
    if (json) io.stdout(JSON.stringify(runJson(run, dir, null, exit, error), null, 1) + '\n');
    return exit;
  }
  if (planned) writeFileSync(join(dir, SHARD_FILE), JSON.stringify(planned, null, 1) + '\n');
  say(runFilesText(dir, { junit, summaryMd }, io));
  if (json) io.stdout(JSON.stringify(runJson(run, dir, summary, exit), null, 1) + '\n');
  if (tap) io.stdout(formatTap(summary, tap));
  return exit;
}

function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > 1000 || index < 1 || index > count) throw new UsageError(`--shard ${text}: I/N with 1 ≤ I ≤ N ≤ 1000, e.g. 2/3`);
  return { index, count };
}

/**
 * The end of a run's output: where its report, summary and files are, and how much the
 * folder holds; summary.md also copied to --summary-md and appended to the job summary.
 */
export function runFilesText(dir: string, o: { junit?: string; summaryMd?: string; layout?: string }, io: Io): string {
  const md = join(dir, SUMMARY_MD_FILE);
  for (const problem of publishSummaryMd(md, o.summaryMd)) io.stderr(`tcpladder: ${problem}\n`);
  return [
    `report: ${shownPath(join(dir, REPORT_FILE))}`,
    `summary: ${shownPath(md)}${o.summaryMd !== undefined ? ` (and ${shownPath(resolve(o.summaryMd))})` : ''}`,
    `captures: ${shownPath(dir)}/ (${o.layout ?? 'summary.json, one folder per case'}; ${formatBytes(folderBytes(dir))} in all)`,
    ...(o.junit !== undefined ? [`junit: ${shownPath(resolve(o.junit))}`] : []),
    '',
  ].join('\n');
}

/** A shard no case file falls to: an empty run folder that tcpladder merge still takes. */
function emptyShard(run: string, dir: string, planned: ShardRecord, o: { json: boolean; summaryMd?: string; say: (s: string) => void; io: Io }): number {
  mkdirSync(dir, { recursive: true });
  const summary = buildSummary({ run, startedAt: new Date(), traces: [] });
  writeSummary(dir, summary);
  const input = runReportInput(summary, []);
  writeSummaryMd(dir, input);
  writeReport(dir, input);
  writeFileSync(join(dir, SHARD_FILE), JSON.stringify(planned, null, 1) + '\n');
  o.say(runFilesText(dir, { summaryMd: o.summaryMd }, o.io));
  if (o.json) o.io.stdout(JSON.stringify(runJson(run, dir, summary, EXIT.ok), null, 1) + '\n');
  return EXIT.ok;
}
