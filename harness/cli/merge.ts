/** tcpladder merge DIR…: the shards' run folders joined into one run folder (runner/merge-runs.ts). */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { EXIT, parseArgs, UsageError, type Io } from './io.js';
import { runId } from '../topology/index.js';
import { runDir } from '../case/paths.js';
import { InputError } from '../input-error.js';
import { runExitCode, runJson, shownPath } from '../runner/index.js';
import { mergeRuns } from '../runner/merge-runs.js';
import { runFilesText } from './run.js';

export const MERGE_HELP = `tcpladder merge DIR… [options]

Joins run folders into one: the shards of a run (tcpladder run --shard I/N on
several machines), or any runs on one stack whose cases do not overlap. Every case
folder is copied in; summary.json, bundle.json, report.html and summary.md are made
from all of them, as one run of every case would have written them. Shards are
checked: all of one plan, each once, none missing. As tcpladder run does, it
appends the merged summary.md to $GITHUB_STEP_SUMMARY when that is set.

Options:
  --out DIR          the merged run folder, new or empty (default: captures/<run>/);
                     its name is the merged run's id when it is one ([a-z0-9]+)
  --summary-md FILE  also write the merged summary.md to FILE
  --json             print the merged run's summary as JSON on stdout
  -h, --help         this text

Exit codes:
  0  every case passed
  1  a case failed (or a case file did not load)
  2  bad usage or input (not a run folder, a shard missing or given twice, a case
     in two folders, a matrix run's folder, --out not empty)
`;

export async function mergeCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['--json', '-h', '--help'], values: ['--out', '--summary-md'] });
  if (args.flags.has('-h') || args.flags.has('--help')) {
    io.stdout(MERGE_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) throw new UsageError('give the run folders to merge (tcpladder merge --help)');
  for (const d of args.positionals) if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`no such run folder: ${d}`);
  const summaryMd = args.value('--summary-md');
  if (summaryMd !== undefined && !existsSync(dirname(resolve(summaryMd)))) throw new UsageError(`--summary-md ${summaryMd}: no such folder ${dirname(summaryMd)}`);
  const given = args.value('--out');
  const out = given !== undefined ? resolve(given) : runDir();
  const run = /^[a-z0-9]+$/.test(basename(out)) ? basename(out) : runId();
  const json = args.flags.has('--json');
  const say = json ? io.stderr : io.stdout;

  let merged;
  try {
    merged = mergeRuns(args.positionals, out, run);
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
  const { summary, shards } = merged;
  const exit = runExitCode(summary, 0);
  const what = shards ? `${shards} shards` : `${args.positionals.length} runs`;
  const counts = [`${summary.passed} passed`, `${summary.failed} failed`, ...(summary.knownFailures ? [`${summary.knownFailures} known failures`] : []), ...(summary.notApplicable ? [`${summary.notApplicable} not applicable`] : [])];
  say(`merged ${what} into ${shownPath(out)}/: ${summary.cases.length} case runs, ${counts.join(', ')}${summary.problems?.length ? `, ${summary.problems.length} case files that did not run` : ''}\n`);
  say(runFilesText(out, { summaryMd }, io));
  if (json) io.stdout(JSON.stringify(runJson(run, out, summary, exit), null, 1) + '\n');
  return exit;
}
