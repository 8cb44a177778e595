/**
 * tcpladder run --profile A --profile B: the catalogue once per profile, each run
 * in its own folder (captures/<run>-<profile>/), then the diff of the first run's
 * bundle against each later one. The exit code is the runs' (0 when every case of
 * every run passed); the diff is printed for reading, not gated on — use
 * `tcpladder diff` for that.
 */
import { resolve } from 'node:path';
import { bundlePath, diffBundles, formatDiffText, readBundle } from '../diff/index.js';
import { InputError } from '../input-error.js';
import { shownPath } from '../runner/paths.js';
import { EXIT, type Io } from './io.js';

export type RunOnce = (argv: string[], io: Io) => Promise<number>;

/** `argv` without its --profile options (both "--profile X" and "--profile=X"). */
export function withoutProfiles(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (argv[i] === '--profile') i++;
    else if (!argv[i].startsWith('--profile=')) out.push(argv[i]);
  }
  return out;
}

export async function runProfiles(profiles: string[], argv: string[], io: Io, runOnce: RunOnce, capturesDir = 'captures'): Promise<number> {
  const base = Date.now().toString(36).slice(-5);
  const rest = withoutProfiles(argv);
  const dirs: string[] = [];
  let exit: number = EXIT.ok;
  for (const [i, profile] of profiles.entries()) {
    const run = `${base}${i + 1}`;
    const dir = resolve(capturesDir, `${run}-${profile}`);
    process.env.TCPLADDER_RUN = run;
    process.env.TCPLADDER_RUN_DIR = dir;
    io.stdout(`\n━━ profile ${profile} (${i + 1}/${profiles.length}): run ${run}\n`);
    const code = await runOnce([...rest, '--profile', profile], io);
    dirs.push(dir);
    if (code > EXIT.failed) return code; // bad usage, interrupted: no point going on
    exit = Math.max(exit, code);
  }
  for (let i = 1; i < dirs.length; i++) {
    io.stdout(`\n━━ diff: ${profiles[0]} (A) → ${profiles[i]} (B) — again with: tcpladder diff ${shownPath(dirs[0])} ${shownPath(dirs[i])}\n`);
    try {
      const a = readBundle(dirs[0]);
      const b = readBundle(dirs[i]);
      io.stdout(formatDiffText(diffBundles(a, b, { a: shownPath(bundlePath(dirs[0])), b: shownPath(bundlePath(dirs[i])) })));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.stderr(`tcpladder: no diff: ${e.message}\n`);
    }
  }
  return exit;
}
