/**
 * tcpladder run [paths…]: run cases (default: cases/) with vitest in worker processes,
 * then print the run's summary. Exit 0 when every case passed, 1 when one failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { runId } from '../topology/index.js';
import { runDir } from '../case/paths.js';
import type { RunSummary } from '../trace/types.js';
import { EXIT, parseArgs, UsageError, type Io } from './io.js';

export const RUN_HELP = `tcpladder run [paths…] [options]

Runs the conformance cases in the given files or folders (default: cases/) on
network-namespace hosts and writes captures/<run>/ with a pcap, trace.json and
ladder.txt per case and summary.json for the run.

Options:
  --fast          skip cases marked slow (they wait on minute-long kernel timers)
  --quiet         print only failures and the summary
  -h, --help      this text
`;

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['--fast', '--quiet', '-h', '--help'] });
  if (args.flags.has('-h') || args.flags.has('--help')) {
    io.stdout(RUN_HELP);
    return EXIT.ok;
  }
  const paths = args.positionals.length ? args.positionals : ['cases'];
  const filters: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`no such case file or folder: ${p}`);
    const rel = relative(process.cwd(), resolve(p)) || '.';
    if (statSync(p).isFile() && !p.endsWith('.case.ts')) throw new UsageError(`${p}: case files end in .case.ts`);
    filters.push(rel);
  }
  const run = runId();
  const dir = runDir();
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const vitestArgs = [vitest, 'run', ...filters];
  if (args.flags.has('--quiet')) vitestArgs.push('--reporter=dot');
  const env = {
    ...process.env,
    TCPLADDER_RUN: run,
    TCPLADDER_RUN_DIR: dir,
    TCPLADDER_CASES_ONLY: '1',
    ...(args.flags.has('--fast') ? { TCPLADDER_SKIP_SLOW: '1' } : {}),
  };
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, vitestArgs, { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (c, sig) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      done(c ?? (sig ? 130 : 1));
    });
  });
  const summaryFile = resolve(dir, 'summary.json');
  if (!existsSync(summaryFile)) {
    io.stderr(`tcpladder: no case ran (vitest exited ${code})\n`);
    return code === 0 ? EXIT.failed : code;
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  io.stdout(`\n${summary.passed} passed, ${summary.failed} failed\n`);
  io.stdout(`captures: ${relative(process.cwd(), dir)}/ (summary.json, one folder per case)\n`);
  return summary.failed > 0 || code !== 0 ? EXIT.failed : EXIT.ok;
}
