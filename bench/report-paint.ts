/**
 * report.html in Chromium: `node --import tsx bench/report-paint.ts [--report FILE] [--cases PATH,…] [--fast] [--runs R] [--json FILE]`
 *
 * Without --report, runs `node bin/tcpladder.js run --quiet cases` (or --cases PATH,…;
 * --fast skips the slow cases) into a temp run folder (TCPLADDER_RUN_DIR) and takes its
 * report.html. Then reports its size and, median of R (default 5) cold loads — a new
 * Chromium with a new profile for each load, Debian's chromium headless through
 * playwright-core as the report tests launch it (test/report/chromium.ts):
 *   first paint and first contentful paint   performance.getEntriesByType('paint')
 *   case list interactive   the first task after the first frame that follows
 *                           DOMContentLoaded: the list is drawn and the report's script
 *                           (filters, search, keys) has run, a click is handled from here
 *   load event              the navigation entry's loadEventEnd
 * all from the navigation's start; and, on the report, what a user does next: the time a
 * search takes to filter the list (input event to the next frame), and opening the first
 * case until its ladders are drawn (which must not exist before: ladders are drawn on open).
 *
 * Reference, in the same run and round-robin with it: the same run folder's traces drawn
 * by the report of commit ca81b36, the build before lazy ladders (every ladder's SVG and
 * every case's tables inline, no script) — the 14 MB report issue 16 measured. Its
 * harness/ is taken with `git archive` into the temp folder and run from there.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../test/report/chromium.js';
import { arg, emit, hookCleanup, load, log, median, numArg, removePath, round, type Figures } from './lib/common.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');
/** the last commit whose report drew every ladder up front (7544ad4 made them drawn on open) */
const EAGER_COMMIT = 'ca81b36';

// ── worker: the eager report of EAGER_COMMIT for a run folder ────────────────────────

async function renderEager(oldRoot: string, runDir: string, out: string): Promise<void> {
  const report = (await import(pathToFileURL(join(oldRoot, 'harness/report/index.ts')).href)) as {
    renderReportHtml: (input: unknown) => string;
  };
  const summaryMod = (await import(pathToFileURL(join(oldRoot, 'harness/runner/summary.ts')).href)) as {
    readTraces: (dir: string) => { dir: string; trace: { file: string } }[];
  };
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as {
    run: string;
    startedAt: string;
    durationMs: number;
    kernel: string;
    node: string;
    cases: { dir: string; message?: string }[];
    problems?: { title: string; file: string; message: string }[];
  };
  // as ca81b36's harness/runner/report.ts built its input
  const messages = new Map(summary.cases.map((c) => [c.dir, c.message]));
  const html = report.renderReportHtml({
    run: { run: summary.run, startedAt: summary.startedAt, durationMs: summary.durationMs, kernel: summary.kernel, node: summary.node },
    cases: summaryMod.readTraces(runDir).map(({ dir, trace }) => {
      const message = messages.get(dir);
      return { dir, trace, ...(message ? { message } : {}) };
    }),
    problems: (summary.problems ?? []).map((p) => ({ title: `${p.title} (${p.file})`, message: p.message })),
  });
  writeFileSync(out, html);
}

// ── producing the reports ───────────────────────────────────────────────────────────

function runCatalogue(runDir: string, paths: string[], fast: boolean): Promise<{ code: number; seconds: number }> {
  const args = ['bin/tcpladder.js', 'run', '--quiet', ...(fast ? ['--fast'] : []), ...paths];
  log(`  node ${args.join(' ')}   (TCPLADDER_RUN_DIR=${runDir})`);
  const env: NodeJS.ProcessEnv = { ...process.env, TCPLADDER_RUN_DIR: runDir, NO_COLOR: '1' };
  for (const k of ['VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS', 'TCPLADDER_CLI']) delete env[k];
  const t0 = performance.now();
  return new Promise((done, fail) => {
    // the run's own output (failures, summary) goes to our stderr: stdout is for the figures
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 2, 'inherit'] });
    child.on('error', fail);
    child.on('exit', (code, signal) => done({ code: code ?? (signal ? 128 : 1), seconds: (performance.now() - t0) / 1000 }));
  });
}

/** ca81b36's harness/ beside node_modules in `dir`, then its report of `runDir` into `out`; null (and why) when it cannot. */
function eagerReport(dir: string, runDir: string, out: string): string | null {
  try {
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { kind?: string };
    if (summary.kind === 'matrix') return 'a matrix run: the build before lazy ladders had no matrix report';
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['archive', '--format=tar', EAGER_COMMIT, 'harness'], { cwd: ROOT, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, ['--import', 'tsx', SELF, '--render-eager', dir, runDir, out], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    return null;
  } catch (e) {
    return `the report of ${EAGER_COMMIT} could not be made: ${(e as Error).message.split('\n')[0]}`;
  }
}

// ── measuring in Chromium ───────────────────────────────────────────────────────────

interface Load {
  firstPaint: number;
  firstContentfulPaint: number;
  interactive: number;
  domContentLoaded: number;
  load: number;
  rows: number;
  /** <object>s of ladders and inline <svg>s in the page after load, before any case is opened */
  ladderObjects: number;
  inlineSvgs: number;
  /** the report only: a search, input event to the next frame */
  searchMs?: number;
  /** the report only: opening the first case with a ladder until its ladders' <object>s are loaded */
  openMs?: number;
  ladderObjectsAfterOpen?: number;
  opened?: string;
}

// What the code evaluated in the page uses of it (this project's lib has no DOM types).
interface PageEl {
  open: boolean;
  value: string;
  hidden: boolean;
  dispatchEvent(e: unknown): boolean;
  closest(sel: string): PageEl | null;
  querySelector(sel: string): PageEl | null;
  querySelectorAll(sel: string): ArrayLike<PageEl & { contentDocument?: unknown }>;
}
declare const document: PageEl & { addEventListener(t: string, f: () => void): void };
declare const window: { __tcplInteractive?: number };
declare const Event: new (type: string, init?: { bubbles: boolean }) => unknown;
declare function requestAnimationFrame(f: () => void): void;
declare function setTimeout(f: () => void, ms: number): void;
/** the page's performance (Node's types know no 'paint' or 'navigation' entries) */
interface PageEntry {
  name: string;
  startTime: number;
  domContentLoadedEventEnd: number;
  loadEventEnd: number;
}

/** One cold load: a new browser, a new profile. */
async function measureLoad(url: string, profileDir: string, interact: boolean): Promise<Load> {
  const context = await launchChromium(profileDir);
  try {
    await context.addInitScript(() => {
      // the first task after the first frame once the document (and the report's inline script) is parsed
      document.addEventListener('DOMContentLoaded', () =>
        requestAnimationFrame(() =>
          setTimeout(() => {
            window.__tcplInteractive = performance.now();
          }, 0),
        ),
      );
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url, { waitUntil: 'load', timeout: 180_000 });
    await page.waitForFunction(
      () => {
        const perf = performance as unknown as { getEntriesByType(t: string): PageEntry[] };
        const nav = perf.getEntriesByType('navigation')[0];
        return window.__tcplInteractive !== undefined && !!nav && nav.loadEventEnd > 0 && perf.getEntriesByType('paint').length >= 2;
      },
      undefined,
      { timeout: 60_000 },
    );
    const m = await page.evaluate(() => {
      const perf = performance as unknown as { getEntriesByType(t: string): PageEntry[] };
      const paint = Object.fromEntries(perf.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const nav = perf.getEntriesByType('navigation')[0];
      return {
        firstPaint: paint['first-paint'],
        firstContentfulPaint: paint['first-contentful-paint'],
        interactive: window.__tcplInteractive as number,
        domContentLoaded: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd,
        rows: document.querySelectorAll('details.case').length || document.querySelectorAll('section.case').length,
        ladderObjects: document.querySelectorAll('figure.ladder object').length,
        inlineSvgs: document.querySelectorAll('svg').length,
      };
    });
    if (!interact) return m;
    const searchMs = await page.evaluate(
      () =>
        new Promise<number>((done) => {
          const q = document.querySelector('form.controls input[name=q]') as PageEl;
          const t0 = performance.now();
          q.value = 'close';
          q.dispatchEvent(new Event('input', { bubbles: true }));
          requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
        }),
    );
    // back to every case, then open the first one that has a ladder to draw
    await page.evaluate(() => {
      const q = document.querySelector('form.controls input[name=q]') as PageEl;
      q.value = '';
      q.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const id = await page.evaluate(() => {
      const fig = document.querySelector('details.case figure.ladder[data-src]');
      const row = fig && fig.closest('details.case');
      return row ? (row as unknown as { id: string }).id : null;
    });
    if (!id) return { ...m, searchMs };
    const srcs = await page.evaluate((rowId) => Array.from(document.querySelectorAll(`#${rowId} figure.ladder[data-src]`)).map((f) => (f as unknown as { dataset: { src: string } }).dataset.src), id);
    const t0 = Date.now();
    await page.click(`#${id} > summary`);
    // each ladder is an <object> of its ladder.svg: a frame of its own, drawn once it has its arrows
    for (const src of srcs) {
      const file = src.replace(/^(\.\/)+/, '');
      for (;;) {
        const frame = page.frames().find((f) => f.url().endsWith(file));
        if (frame && (await frame.$('svg'))) break;
        if (Date.now() - t0 > 30_000) throw new Error(`the ladder ${src} was not drawn within 30 s of opening ${id}`);
        await page.waitForTimeout(5);
      }
    }
    const openMs = Date.now() - t0;
    const ladderObjectsAfterOpen = await page.evaluate(() => document.querySelectorAll('figure.ladder object').length);
    return { ...m, searchMs, openMs, ladderObjectsAfterOpen, opened: id };
  } finally {
    await context.close();
  }
}

// ── main ────────────────────────────────────────────────────────────────────────────

const ms = (xs: number[]) => round(median(xs), 1);

async function main(): Promise<void> {
  if (process.argv[2] === '--render-eager') return renderEager(process.argv[3], process.argv[4], process.argv[5]);
  hookCleanup();
  const runs = numArg('--runs', 5);
  const tmp = mkdtempSync(join(tmpdir(), 'tcpl-bench-report-'));
  removePath(tmp);
  const loadBefore = load();

  let report = arg('--report');
  let produced: { command: string; code: number; seconds: number } | null = null;
  if (report) report = resolve(report);
  else {
    const paths = (arg('--cases') ?? 'cases').split(',');
    const fast = process.argv.includes('--fast');
    const runDir = join(tmp, 'run');
    log(`producing a report: a run of ${paths.join(' ')}`);
    const r = await runCatalogue(runDir, paths, fast);
    produced = { command: `node bin/tcpladder.js run --quiet ${fast ? '--fast ' : ''}${paths.join(' ')}`, ...r, seconds: round(r.seconds, 1) };
    log(`  exit ${r.code} after ${r.seconds.toFixed(1)} s`);
    report = join(runDir, 'report.html');
  }
  if (!existsSync(report)) throw new Error(`no report at ${report}${produced ? ` (the run exited ${produced.code})` : ''}`);
  const runDir = dirname(report);
  const bytes = statSync(report).size;
  // where the bytes go: the tables of segments (up to MAX_SEGMENT_ROWS a run) are the most of it
  const html = readFileSync(report, 'utf8');
  const segmentBytes = [...html.matchAll(/<details class="segments">[\s\S]*?<\/details>/g)].reduce((n, m) => n + Buffer.byteLength(m[0]), 0);

  const eager = join(tmp, `report-${EAGER_COMMIT}.html`);
  const noEager = existsSync(join(runDir, 'summary.json')) ? eagerReport(join(tmp, EAGER_COMMIT), runDir, eager) : 'no summary.json beside the report';
  if (noEager) log(`  no reference: ${noEager}`);
  const eagerBytes = noEager ? null : statSync(eager).size;
  log(`report.html ${(bytes / 1e6).toFixed(2)} MB${eagerBytes !== null ? `; ${EAGER_COMMIT}'s report of the same run ${(eagerBytes / 1e6).toFixed(2)} MB` : ''}`);

  // round-robin: load 1 of each, then load 2 …
  const ours: Load[] = [];
  const theirs: Load[] = [];
  for (let i = 0; i < runs; i++) {
    const a = await measureLoad(pathToFileURL(report).href, join(tmp, `profile-${i}-report`), true);
    ours.push(a);
    log(
      `  report run ${i + 1}: FP ${a.firstPaint.toFixed(0)} ms, FCP ${a.firstContentfulPaint.toFixed(0)} ms, interactive ${a.interactive.toFixed(0)} ms, load ${a.load.toFixed(0)} ms; ` +
        `${a.rows} rows, ${a.ladderObjects} ladders drawn before opening, ${a.inlineSvgs} inline svg; search ${a.searchMs?.toFixed(1)} ms, open #${a.opened} ${a.openMs} ms (${a.ladderObjectsAfterOpen} ladders drawn after)`,
    );
    if (noEager) continue;
    const b = await measureLoad(pathToFileURL(eager).href, join(tmp, `profile-${i}-eager`), false);
    theirs.push(b);
    log(`  ${EAGER_COMMIT} run ${i + 1}: FP ${b.firstPaint.toFixed(0)} ms, FCP ${b.firstContentfulPaint.toFixed(0)} ms, interactive ${b.interactive.toFixed(0)} ms, load ${b.load.toFixed(0)} ms; ${b.rows} sections, ${b.inlineSvgs} inline svg`);
  }
  const loadAfter = load();

  const pick = (xs: Load[], k: keyof Load) => xs.map((x) => x[k]).filter((v): v is number => typeof v === 'number').map((v) => round(v, 1));
  const ref = (k: keyof Load) => (theirs.length ? ms(pick(theirs, k)) : null);
  const refName = noEager ? `none: ${noEager}` : `the same run drawn by ${EAGER_COMMIT}, every ladder inline (${round((eagerBytes ?? 0) / 1e6, 2)} MB)`;
  const what = produced ? `${produced.command} (exit ${produced.code}, ${produced.seconds} s)` : `--report ${report}`;
  const a0 = ours[0];
  const lazy = a0.ladderObjects === 0 && a0.inlineSvgs === 0;
  const figures: Figures = {
    'report.html of the catalogue, size': {
      value: round(bytes / 1e6, 2),
      unit: 'MB',
      reference: eagerBytes === null ? null : round(eagerBytes / 1e6, 2),
      referenceName: eagerBytes === null ? undefined : `${EAGER_COMMIT}'s report of the same run`,
      goal: '<= 3',
      note: `${what}; ${a0.rows} case rows; ${round(segmentBytes / 1e6, 2)} MB of it the runs' segment tables; ${lazy ? 'no ladder drawn before a case is opened' : `${a0.ladderObjects} ladders and ${a0.inlineSvgs} svg drawn up front`}`,
    },
    'report.html first paint in Chromium': {
      value: ms(pick(ours, 'firstPaint')),
      unit: 'ms',
      reference: ref('firstPaint'),
      referenceName: noEager ? undefined : refName,
      goal: '<= 1000',
      runs: pick(ours, 'firstPaint'),
      referenceRuns: pick(theirs, 'firstPaint'),
      note: `median of ${runs} cold loads (a new headless chromium and profile each), from navigation start; first contentful paint ${ms(pick(ours, 'firstContentfulPaint'))} ms (reference ${ref('firstContentfulPaint') ?? '—'} ms)`,
    },
    'report.html case list interactive in Chromium': {
      value: ms(pick(ours, 'interactive')),
      unit: 'ms',
      reference: ref('interactive'),
      referenceName: noEager ? undefined : refName,
      runs: pick(ours, 'interactive'),
      referenceRuns: pick(theirs, 'interactive'),
      note:
        `first task after the first frame that follows DOMContentLoaded (list drawn, script run); DOMContentLoaded ${ms(pick(ours, 'domContentLoaded'))} ms, load event ${ms(pick(ours, 'load'))} ms ` +
        `(reference ${ref('domContentLoaded') ?? '—'} and ${ref('load') ?? '—'} ms); then a search filters the list in ${ms(pick(ours, 'searchMs'))} ms (input to next frame) ` +
        `and opening a case (#${a0.opened ?? '—'}) draws its ${a0.ladderObjectsAfterOpen ?? 0} ladder(s) in ${ms(pick(ours, 'openMs'))} ms (click to every ladder's SVG in its frame)`,
    },
  };
  process.stdout.write(
    [
      `report.html ${(bytes / 1e6).toFixed(2)} MB (${what}); reference: ${refName}; median of ${runs} cold loads, load ${loadBefore.join(' ')} → ${loadAfter.join(' ')}`,
      ...Object.entries(figures).map(([k, f]) => `  ${k}: ${f.value} ${f.unit} (reference ${f.reference ?? '—'})${f.note ? ` — ${f.note}` : ''}`),
    ].join('\n') + '\n',
  );
  emit(figures, { report: produced ? null : report, produced, bytes, eagerBytes, noEager, loadBefore, loadAfter, loads: ours, referenceLoads: theirs });
}

await main();
