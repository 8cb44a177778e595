/**
 * tcpladder diff A B: compare two bundles (bundle.json files or run folders) case
 * by case. Exit 0: no difference (or only ones the baseline accepts), 1: a
 * difference, 2: bad input.
 */
import { writeFileSync } from 'node:fs';
import {
  baselineFor,
  baselineText,
  bundlePath,
  diffBundles,
  formatDiffText,
  readBaseline,
  readBundle,
  renderDiffHtml,
  type BundleDiff,
} from '../diff/index.js';
import { EXIT, parseArgs, UsageError, type Io } from './io.js';
import { InputError } from '../input-error.js';

export const DIFF_HELP = `tcpladder diff A B [options]

Compares two result bundles case by case. A and B are bundle.json files or run
folders (captures/<run>/, which hold one). Bundles are normalised: no ISNs,
ports, addresses or absolute times, so bundles from other machines compare too.

Reports cases only in A or only in B, changed status, segments missing, added or
changed (and which field), socket states, call outcomes (errno, EOF, byte
counts) and timer durations beyond the tolerance. The kernel, distribution,
profile and sysctls of the two runs are printed as context.

Options:
  --json                 the diff as JSON
  --baseline FILE        accepted differences: shown, but they do not count for the exit code
  --write-baseline FILE  write a baseline accepting every difference found (plus --baseline's)
  --html FILE            write an HTML page with the two ladders side by side per differing case
  --tolerance-ms N       absolute timer tolerance in ms (default 50)
  --tolerance-pct P      relative timer tolerance in percent of the longer duration (default 12.5)
  -h, --help             this text

Exit codes: 0 no difference (beyond the baseline), 1 a difference, 2 bad input.
`;

function number(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw new UsageError(`${name} needs a non-negative number, got "${v}"`);
  return n;
}

function htmlPage(diff: BundleDiff, fragment: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>tcpladder diff ${diff.a.run} ↔ ${diff.b.run}</title></head>\n<body style="font-family:sans-serif">\n${fragment}</body></html>\n`;
}

export async function diffCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    flags: ['--json', '-h', '--help'],
    values: ['--baseline', '--write-baseline', '--html', '--tolerance-ms', '--tolerance-pct'],
  });
  if (args.flags.has('-h') || args.flags.has('--help')) {
    io.stdout(DIFF_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length !== 2) throw new UsageError(`needs two bundles, A and B (got ${args.positionals.length}); see tcpladder diff --help`);
  const [pathA, pathB] = args.positionals;
  const tolerance = { ms: number('--tolerance-ms', args.value('--tolerance-ms'), 50), ratio: number('--tolerance-pct', args.value('--tolerance-pct'), 12.5) / 100 };
  try {
    const a = readBundle(pathA);
    const b = readBundle(pathB);
    const baselineFile = args.value('--baseline');
    const baseline = baselineFile ? readBaseline(baselineFile) : undefined;
    const diff = diffBundles(a, b, { a: bundlePath(pathA), b: bundlePath(pathB) }, { tolerance, ...(baseline ? { baseline } : {}) });
    io.stdout(args.flags.has('--json') ? JSON.stringify(diffJson(diff), null, 1) + '\n' : formatDiffText(diff));
    const html = args.value('--html');
    if (html) writeFileSync(html, htmlPage(diff, renderDiffHtml(diff)));
    const write = args.value('--write-baseline');
    if (write) writeFileSync(write, baselineText(baselineFor(diff, baseline)));
    return diff.counts.new > 0 ? EXIT.failed : EXIT.ok;
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr(`tcpladder diff: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

/** The diff without the full cases (they are in the bundles): what --json prints. */
export function diffJson(diff: BundleDiff): unknown {
  return {
    a: diff.a,
    b: diff.b,
    environment: diff.environment,
    tolerance: diff.tolerance,
    counts: diff.counts,
    cases: diff.cases.map((c) => ({ id: c.id, verdict: c.verdict, differences: c.differences.map((d) => ({ ...d.difference, accepted: d.accepted })) })),
  };
}
