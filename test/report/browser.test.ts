/**
 * report.html in a real browser: a real run of two catalogue case files and a failing
 * case file of our own, then Debian's chromium (headless, through playwright-core, no
 * network) opens the report. No console errors and no request leaves the page; cases
 * are grouped by topic, failures first, a row per case with its IPv4 and IPv6 verdicts;
 * the verdict filter and the search change the visible cases; a permalink (#case-…)
 * opens its case and draws its ladders, one arrow per segment of trace.json; keys move
 * between cases and open them. The same run drawn as a matrix of two stacks: the stack
 * filter. Screenshots land in the run folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml, type ReportInput } from '../../harness/report/index.js';
import { runReportInput, readSummary, readTraces } from '../../harness/runner/index.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { cliEnv, tcpladder } from '../cli/spawn-cli.js';
import { writeWrongAckCase } from '../cli/wrong-ack-case.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcpl-browser-test-'));
const runDir = join(tmp, 'run');
const report = pathToFileURL(join(runDir, 'report.html')).href;
let context: BrowserContext | undefined;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// What the code evaluated in the page uses of it (this project's lib has no DOM types).
interface El {
  id: string;
  hidden: boolean;
  open: boolean;
  className: string;
  textContent: string | null;
  closest(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}
declare const document: { activeElement: El | null; querySelector(sel: string): El | null; querySelectorAll(sel: string): ArrayLike<El> };
declare const location: { hash: string };

interface RowFacts {
  id: string;
  topic: string;
  cls: string;
  cells: string[];
}

const visibleRows = (p: Page) => p.$$eval('details.case', (rows) => rows.filter((r) => !(r as unknown as El).hidden).map((r) => r.id));
const rowFacts = (p: Page): Promise<RowFacts[]> =>
  p.$$eval('details.case', (rows) =>
    rows.map((r) => ({
      id: r.id,
      topic: (r as unknown as El).closest('section.topic')!.id,
      cls: r.className,
      cells: Array.from((r as unknown as El).querySelectorAll('summary .cell'), (c) => c.className),
    })),
  );
const focusedRow = (p: Page) => p.evaluate(() => document.activeElement?.closest('details.case')?.id ?? null);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup installs it)`);
  const failing = writeWrongAckCase(tmp).file;
  const run = await tcpladder(['run', 'cases/handshake', 'cases/close/active-close.case.ts', failing, '--quiet'], cliEnv(runDir, { NO_COLOR: '1' }));
  expect(run.code, run.stdout + run.stderr).toBe(1);
  context = await launchChromium(join(tmp, 'profile'));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return url.startsWith('file:') ? route.continue() : route.abort();
  });
  await page.goto(report, { waitUntil: 'load' });
}, 180_000);

describe('report.html in chromium', () => {
  it('groups the cases by topic, the failing one first, a row per case with a verdict per family', async () => {
    const rows = await rowFacts(page);
    expect(rows).toEqual([
      { id: 'case-server-answers-with-a-wrong-ack', topic: 'topic-other', cls: 'case failed', cells: ['cell failed', 'cell failed'] },
      { id: 'case-three-way-handshake', topic: 'topic-handshake', cls: 'case passed', cells: ['cell passed', 'cell passed'] },
      { id: 'case-active-close-fin-wait-1-fin-wait-2-time-wait', topic: 'topic-close', cls: 'case passed', cells: ['cell passed', 'cell passed'] },
    ]);
    const runs = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).cases as unknown[];
    expect(runs).toHaveLength(6);
    expect(await page.$eval('form.controls output', (o) => o.textContent)).toBe('3 cases');
  });

  it('a verdict filter changes the visible cases, and the topics left empty', async () => {
    await page.uncheck('input[name=verdict][value=passed]');
    expect(await visibleRows(page)).toEqual(['case-server-answers-with-a-wrong-ack']);
    expect(await page.$$eval('section.topic', (ts) => ts.filter((t) => !(t as unknown as El).hidden).map((t) => t.id))).toEqual(['topic-other']);
    expect(await page.$eval('form.controls output', (o) => o.textContent)).toBe('1 of 3 cases');
    await page.uncheck('input[name=verdict][value=failed]');
    expect(await visibleRows(page)).toEqual([]);
    await page.check('input[name=verdict][value=passed]');
    await page.check('input[name=verdict][value=failed]');
    expect(await visibleRows(page)).toHaveLength(3);
  });

  it('the search keeps the cases whose name (or file) holds the text', async () => {
    await page.fill('input[name=q]', 'HANDSHAKE');
    expect(await visibleRows(page)).toEqual(['case-three-way-handshake']);
    await page.fill('input[name=q]', 'wrong-ack.case');
    expect(await visibleRows(page)).toEqual(['case-server-answers-with-a-wrong-ack']);
    await page.fill('input[name=q]', 'no such case');
    expect(await visibleRows(page)).toEqual([]);
    await page.fill('input[name=q]', '');
    expect(await visibleRows(page)).toHaveLength(3);
  });

  it('a permalink opens its case, even one a filter hides, and draws its ladders: one arrow per segment', async () => {
    await page.uncheck('input[name=verdict][value=passed]');
    const fresh = await context!.newPage();
    await fresh.goto(`${report}#case-three-way-handshake`, { waitUntil: 'load' });
    const open = () => fresh.$$eval('details.case', (rows) => rows.filter((r) => (r as unknown as El).open).map((r) => r.id));
    expect(await open()).toEqual(['case-three-way-handshake']);
    // the ladders are <object>s of ladder.svg: a frame each, read once loaded
    await fresh.waitForFunction(() => document.querySelectorAll('#case-three-way-handshake figure.ladder object').length === 2);
    const dirs = await fresh.$$eval('#case-three-way-handshake section.run', (s) => s.map((e) => e.getAttribute('data-dir')!));
    expect(dirs.sort()).toEqual(['three-way-handshake-ipv4', 'three-way-handshake-ipv6']);
    for (const dir of dirs) {
      const trace = JSON.parse(readFileSync(join(runDir, dir, 'trace.json'), 'utf8')) as CaseTrace;
      const frame = await waitForFrame(fresh, `${dir}/ladder.svg`);
      expect(await frame.$$eval('g.segment', (g) => g.length), dir).toBe(trace.segments.length);
    }
    // a permalink to a case the page's filter hides clears the filter
    await page.evaluate(() => void (location.hash = '#case-three-way-handshake'));
    await page.waitForFunction(() => (document.querySelector('#case-three-way-handshake') as unknown as El).open);
    expect(await visibleRows(page)).toHaveLength(3);
    // opening a row puts its permalink in the address bar
    await fresh.click('#case-server-answers-with-a-wrong-ack > summary');
    // (a details element's toggle event comes after the click, in a task of its own)
    await fresh.waitForFunction(() => location.hash === '#case-server-answers-with-a-wrong-ack', undefined, { timeout: 5000 });
    expect(new URL(fresh.url()).hash).toBe('#case-server-answers-with-a-wrong-ack');
    await fresh.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
    await fresh.close();
  });

  it('keys: j and k move between the visible cases, Enter opens one, / goes to the search', async () => {
    const p = await context!.newPage();
    await p.goto(report, { waitUntil: 'load' });
    await p.keyboard.press('j');
    expect(await focusedRow(p)).toBe('case-server-answers-with-a-wrong-ack');
    await p.keyboard.press('j');
    expect(await focusedRow(p)).toBe('case-three-way-handshake');
    await p.keyboard.press('k');
    expect(await focusedRow(p)).toBe('case-server-answers-with-a-wrong-ack');
    await p.keyboard.press('Enter');
    expect(await p.$eval('#case-server-answers-with-a-wrong-ack', (r) => (r as unknown as El).open)).toBe(true);
    await p.keyboard.press('/');
    expect(await p.evaluate(() => document.activeElement?.id === '' && (document.activeElement as unknown as { name: string }).name)).toBe('q');
    await p.keyboard.type('active');
    expect(await visibleRows(p)).toEqual(['case-active-close-fin-wait-1-fin-wait-2-time-wait']);
    await p.close();
  });

  it('loads without console errors and without any request leaving the file', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  });
});

async function waitForFrame(p: Page, suffix: string) {
  for (let i = 0; i < 100; i++) {
    const frame = p.frames().find((f) => f.url().endsWith(suffix));
    if (frame && (await frame.$$('g.segment')).length > 0) return frame;
    await p.waitForTimeout(100);
  }
  throw new Error(`no frame of ${suffix} among ${p.frames().map((f) => f.url()).join(', ')}`);
}

describe('a matrix report in chromium: the stack filter', () => {
  it('shows only the chosen stack\'s verdicts, and the cases with a wanted verdict there', async () => {
    // this run's cases as two stacks' columns: on "other" the handshake fails
    const input = runReportInput(readSummary(runDir)!, readTraces(runDir));
    const as = (stack: string, fails: (t: CaseTrace) => boolean) =>
      input.cases.map((c) => ({ ...c, stack, trace: { ...c.trace, status: fails(c.trace) ? 'failed' : c.trace.status, hosts: c.trace.hosts.map((h) => ({ ...h, stack })) } as CaseTrace }));
    const matrix: ReportInput = { ...input, cases: [...as('linux', () => false), ...as('other', (t) => t.case === 'three-way handshake')] };
    writeFileSync(join(runDir, 'matrix.html'), renderReportHtml(matrix));
    const p = await context!.newPage();
    await p.goto(pathToFileURL(join(runDir, 'matrix.html')).href, { waitUntil: 'load' });
    expect(await p.$$eval('select[name=stack] option', (o) => o.map((e) => e.getAttribute('value')))).toEqual(['', 'linux', 'other']);
    await p.uncheck('input[name=verdict][value=passed]');
    expect(await visibleRows(p)).toEqual(['case-three-way-handshake', 'case-server-answers-with-a-wrong-ack']);
    await p.selectOption('select[name=stack]', 'linux');
    expect(await visibleRows(p)).toEqual(['case-server-answers-with-a-wrong-ack']);
    const off = await p.$$eval('#case-server-answers-with-a-wrong-ack summary .cell', (cs) => cs.map((c) => c.classList.contains('off')));
    expect(off).toEqual([false, false, true, true]);
    await p.selectOption('select[name=stack]', 'other');
    expect(await visibleRows(p)).toEqual(['case-three-way-handshake', 'case-server-answers-with-a-wrong-ack']);
    await p.check('input[name=verdict][value=passed]');
    expect(await visibleRows(p)).toHaveLength(3);
    await p.screenshot({ path: join(runDir, 'matrix.png'), fullPage: true });
    await p.close();
  });
});
