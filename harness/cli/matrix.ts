/**
 * tcpladder run --stacks linux,uml,gvisor: every case once per stack, the stacks' runs at
 * once (cases mostly wait), each a whole run of its own in captures/<run>/<stack>/ with
 * its summary, report and bundle; then the matrix: a verdict per case and stack in
 * captures/<run>/summary.json and report.html, a table on the console, each guest stack's
 * differences from linux (diff-<stack>.html), and listed failures that no longer occur
 * (stale). Exit 0 when every failure is listed, 1 on a new one, 2 on bad input.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import type { Io } from './io.js';
import { runFilesText, runVitest, type VitestRun } from './run.js';
import { stackEnv } from './stack-args.js';
import { readSummary, renderJunit, runExitCode, shownPath, matrixReportInput, writeReport, writeSummaryMd, type RunSummaryFile } from '../runner/index.js';
import { buildMatrix, staleKnownFailures, MATRIX_FILE, type MatrixSummary } from '../runner/matrix.js';
import { bundlePath, diffBundles, readBundle, readBaseline, renderDiffHtml, type BundleDiff } from '../diff/index.js';
import { knownFailuresDir, type StackName } from '../stacks/index.js';
import { formatTap } from '../packetdrill/index.js';

export interface MatrixRun {
  run: string;
  dir: string;
  stacks: StackName[];
  /** hosts pinned on the command line (--stack HOST=NAME), the same in every column */
  hosts: Record<string, StackName>;
  vitest: VitestRun;
  json: boolean;
  junit: string | undefined;
  /** --summary-md FILE */
  summaryMd?: string;
  /** print every stack's results as TAP or KTAP on stdout */
  tap: 'tap' | 'ktap' | null;
  io: Io;
}

/** What runs a stack, as its hosts reported it: the kernel release (linux, uml), runsc's version (gvisor). */
function stackVersion(stack: StackName, dir: string, summary: RunSummaryFile | null): string {
  if (stack === 'linux') return release();
  for (const c of summary?.cases ?? []) {
    try {
      const trace = JSON.parse(readFileSync(join(dir, c.dir, 'trace.json'), 'utf8')) as { hosts: { stack?: string; version?: string }[] };
      const v = trace.hosts.find((h) => h.stack === stack)?.version;
      if (v) return v;
    } catch {
      // a case that wrote no trace: look at the next
    }
  }
  return '(no host of it ran)';
}

export async function runMatrix(m: MatrixRun): Promise<number> {
  const say = m.json || m.tap ? m.io.stderr : m.io.stdout;
  mkdirSync(m.dir, { recursive: true });
  const startedAt = new Date();
  say(`matrix run ${m.run}: ${m.stacks.join(', ')} at once, each in ${shownPath(m.dir)}/<stack>/\n`);
  const codes = await Promise.all(
    m.stacks.map((stack) =>
      runVitest(`${m.run}${stack[0]}`, join(m.dir, stack), {
        ...m.vitest,
        env: { ...m.vitest.env, ...stackEnv(stack, m.hosts), TCPLADDER_LINE_PREFIX: `[${stack}] ` },
      }),
    ),
  );
  const runs = m.stacks.map((stack, i) => {
    const dir = join(m.dir, stack);
    const summary = readSummary(dir);
    return { stack, dir, summary, exitCode: runExitCode(summary, codes[i]), version: stackVersion(stack, dir, summary) };
  });
  const stale = staleKnownFailures(runs, knownFailuresDir());
  const diffs = differencesFromLinux(m.dir, m.stacks);
  const matrix = buildMatrix({ run: m.run, startedAt, stacks: runs, hosts: m.hosts, stale, diffs });
  writeFileSync(join(m.dir, MATRIX_FILE), JSON.stringify(matrix, null, 1) + '\n');
  const pages = matrixReportInput(m.dir, matrix);
  writeReport(m.dir, pages);
  writeSummaryMd(m.dir, pages);
  say(matrixTable(matrix));
  const exit = Math.max(...runs.map((r) => r.exitCode));
  if (m.junit !== undefined) writeFileSync(m.junit, renderJunit(mergedSummary(m.run, startedAt, runs), m.dir));
  say(runFilesText(m.dir, { junit: m.junit, summaryMd: m.summaryMd, layout: 'summary.json, <stack>/ with one folder per case' }, m.io));
  if (m.json) m.io.stdout(JSON.stringify({ ...matrix, exitCode: exit }, null, 1) + '\n');
  if (m.tap) m.io.stdout(formatTap(mergedSummary(m.run, startedAt, runs), m.tap));
  return exit;
}

/** Each guest stack's bundle against linux's: shown, not judged (a baseline per stack accepts some). */
function differencesFromLinux(dir: string, stacks: StackName[]): MatrixSummary['differences'] {
  if (!stacks.includes('linux') || !existsSync(bundlePath(join(dir, 'linux')))) return [];
  const linux = readBundle(join(dir, 'linux'));
  const out: NonNullable<MatrixSummary['differences']> = [];
  for (const stack of stacks) {
    if (stack === 'linux' || !existsSync(bundlePath(join(dir, stack)))) continue;
    const baselineFile = join(knownFailuresDir(), `${stack}.baseline.json`);
    let diff: BundleDiff;
    try {
      diff = diffBundles(linux, readBundle(join(dir, stack)), { a: 'linux', b: stack }, existsSync(baselineFile) ? { baseline: readBaseline(baselineFile) } : {});
    } catch (e) {
      out.push({ stack, file: null, cases: {}, error: (e as Error).message });
      continue;
    }
    const file = `diff-${stack}.html`;
    writeFileSync(join(dir, file), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>linux → ${stack}</title></head><body style="font-family:sans-serif">\n${renderDiffHtml(diff)}</body></html>\n`);
    const cases: Record<string, { first: string; differences: number; accepted: number }> = {};
    for (const c of diff.cases) {
      if (c.verdict === 'same') continue;
      cases[c.id] = {
        first: firstDifference(c),
        differences: c.differences.length,
        accepted: c.differences.filter((d) => d.accepted).length,
      };
    }
    out.push({ stack, file, cases });
  }
  return out;
}

function firstDifference(c: BundleDiff['cases'][number]): string {
  const d = c.differences[0]?.difference;
  if (!d) return c.verdict;
  switch (d.kind) {
    case 'segment-changed':
      return `segment ${d.a + 1}: ${d.changes.map((x) => `${x.field} ${x.a ?? '—'} → ${x.b ?? '—'}`).join(', ')}`;
    case 'segment-missing':
      return `segment ${d.a + 1} missing`;
    case 'segment-added':
      return `segment ${d.b + 1} added`;
    case 'states':
      return `states of ${d.socket}: ${d.a.join(' ')} → ${d.b.join(' ')}`;
    case 'status':
      return `status ${d.a} → ${d.b}`;
    default:
      return d.kind;
  }
}

const MARK: Record<string, string> = { passed: '✓', failed: '✗', 'known-failure': '≈', 'not-applicable': '-', missing: '?' };

export function matrixTable(m: MatrixSummary): string {
  const width = Math.min(90, Math.max(20, ...m.cases.map((c) => c.case.length + 7)));
  const head = `${'case'.padEnd(width)}  ${m.stacks.map((s) => s.name.padEnd(8)).join(' ')}`;
  const rows = m.cases.map((c) => {
    const family = ` [${c.family === 'ipv6' ? 'IPv6' : 'IPv4'}]`;
    const room = width - family.length;
    const shown = (c.case.length > room ? `${c.case.slice(0, room - 1)}…` : c.case) + family;
    return `${shown.padEnd(width)}  ${m.stacks.map((s) => (MARK[c.verdicts[s.name]?.status ?? 'missing'] ?? '?').padEnd(8)).join(' ')}`;
  });
  const totals = m.stacks.map((s) => `${s.name} ${s.version}: ${s.passed} passed, ${s.failed} failed, ${s.knownFailures} known failures, ${s.notApplicable} not applicable`);
  const stale = m.stale.map((k) => `stale in cases/stacks/${k.stack}.json: ${k.case}${k.family ? ` [${k.family}]` : ''} — ${k.matcher} ${k.expected} no longer fails`);
  const pinned = m.pinned.length ? [`pinned by their cases (the same stack in every column): ${m.pinned.join('; ')}`] : [];
  return [
    '',
    head,
    ...rows,
    '',
    '✓ passed  ✗ failed  ≈ known failure (listed in cases/stacks/<stack>.json)  - not applicable',
    ...pinned,
    ...totals,
    ...stale,
    '',
  ].join('\n');
}

/** One summary of every stack's results (for JUnit), each case naming its stacks. */
function mergedSummary(run: string, startedAt: Date, runs: { summary: RunSummaryFile | null; stack: string }[]): RunSummaryFile {
  const all = runs.flatMap((r) => (r.summary ? r.summary.cases.map((c) => ({ ...c, dir: `${r.stack}/${c.dir}`, stacks: c.stacks?.length ? c.stacks : [r.stack] })) : []));
  return {
    version: 1,
    run,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    kernel: release(),
    node: process.version,
    passed: all.filter((c) => c.status === 'passed').length,
    failed: all.filter((c) => c.status === 'failed').length,
    cases: all,
    problems: runs.flatMap((r) => r.summary?.problems ?? []),
  };
}
