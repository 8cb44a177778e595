/**
 * Refreshes test/report/fixtures/catalogue/: one trace.json per catalogue case and
 * family, recorded by a real run, for tests that must not run the catalogue
 * (test/report/mermaid-browser.test.ts draws every one in Mermaid).
 *
 *   sudo node --import tsx scripts/catalogue-traces.ts            # runs the whole catalogue first (about 3 minutes)
 *   node --import tsx scripts/catalogue-traces.ts captures/<run>  # takes a run that is already there
 *
 * Each trace is written as compact JSON; one with more than 2 × KEEP segments (the
 * bulk cases: thousands) keeps its first and last KEEP, and the socket calls,
 * transitions and kernel events outside the time cut out, so that it is still a
 * trace of the case, only shorter. Exits 1 when the run is missing cases or one
 * failed, 2 on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseTrace, RunSummary } from '../harness/trace/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'test/report/fixtures/catalogue');
const KEEP = 300;

function fail(code: number, message: string): never {
  process.stderr.write(`catalogue-traces: ${message}\n`);
  process.exit(code);
}

/** Runs every case of cases/ into a fresh folder; returns it. */
function runCatalogue(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-catalogue-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const runDir = join(dir, 'run');
  process.stderr.write(`running the catalogue into ${runDir} …\n`);
  const r = spawnSync(process.execPath, ['bin/tcpladder.js', 'run', 'cases', '--quiet', '--workers', '3'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TCPLADDER_RUN_DIR: runDir },
  });
  if (r.status !== 0) fail(1, `the catalogue run exited ${r.status ?? r.signal}: no fixtures written`);
  return runDir;
}

/** The trace with only its first and last KEEP segments, and what happened outside the gap between them. */
function trimmed(trace: CaseTrace): CaseTrace {
  if (trace.segments.length <= 2 * KEEP) return trace;
  const head = trace.segments.slice(0, KEEP);
  const tail = trace.segments.slice(-KEEP);
  const from = head[head.length - 1]!.t;
  const to = tail[0]!.t;
  const outside = (t: number): boolean => t <= from || t >= to;
  return {
    ...trace,
    segments: [...head, ...tail],
    otherFrames: trace.otherFrames.filter((f) => outside(f.t)),
    calls: trace.calls.filter((c) => outside(c.t)),
    sockets: trace.sockets.map((s) => ({ ...s, transitions: s.transitions.filter((tr) => outside(tr.t)) })),
    kernelEvents: trace.kernelEvents.filter((e) => outside(e.t)),
  };
}

function main(): void {
  const arg = process.argv[2];
  if (process.argv.length > 3 || arg?.startsWith('-')) fail(2, 'usage: node --import tsx scripts/catalogue-traces.ts [RUN_DIR]');
  const runDir = arg ?? runCatalogue();
  const summaryFile = join(runDir, 'summary.json');
  if (!existsSync(summaryFile)) fail(2, `${summaryFile}: no such file (not a run folder)`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  if (!Array.isArray(summary.cases) || summary.cases.length === 0) fail(2, `${summaryFile}: cases: no case in the run`);
  const failed = summary.cases.filter((c) => c.status !== 'passed').map((c) => c.dir);
  if (failed.length > 0) fail(1, `${runDir}: cases failed (${failed.join(', ')}): no fixtures written`);

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  let bytes = 0;
  for (const c of summary.cases) {
    const file = join(runDir, c.dir, 'trace.json');
    if (!existsSync(file)) fail(1, `${file}: missing`);
    const text = JSON.stringify(trimmed(JSON.parse(readFileSync(file, 'utf8')) as CaseTrace)) + '\n';
    writeFileSync(join(OUT, `${c.dir}.trace.json`), text);
    bytes += text.length;
  }
  const written = readdirSync(OUT).length;
  process.stderr.write(`wrote ${written} traces, ${(bytes / 1e6).toFixed(1)} MB, to ${OUT.replace(`${ROOT}/`, '')}\n`);
}

main();
