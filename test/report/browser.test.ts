/**
 * report.html in a real browser: a real run of two case files, then Debian's
 * chromium (headless, through playwright-core, no network) opens the report. No
 * console errors, no request leaves the page, every case has its ladder, and each
 * ladder has exactly one arrow (g.segment) per segment in the case's trace.json.
 * The screenshot lands in the run folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseTrace } from '../../harness/trace/types.js';
import { cliEnv, tcpladder } from '../cli/spawn-cli.js';
import { CHROMIUM, launchChromium } from './chromium.js';
const tmp = mkdtempSync(join(tmpdir(), 'tcpl-browser-test-'));
const runDir = join(tmp, 'run');
let context: BrowserContext | undefined;

afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface SectionFacts {
  dir: string;
  status: string;
  svgs: number;
  segments: number;
  titles: string[];
  links: string[];
}

describe('report.html in chromium', () => {
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let sections: SectionFacts[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup installs it)`);
    const run = await tcpladder(['run', 'cases/handshake', 'cases/close/active-close.case.ts', '--quiet'], cliEnv(runDir));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    context = await launchChromium(join(tmp, 'profile'));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      return url.startsWith('file:') ? route.continue() : route.abort();
    });
    await page.goto(pathToFileURL(join(runDir, 'report.html')).href, { waitUntil: 'load' });
    sections = await page.$$eval('section.case', (els) =>
      els.map((s) => ({
        dir: s.getAttribute('data-dir') ?? '',
        status: s.classList.contains('failed') ? 'failed' : 'passed',
        svgs: s.querySelectorAll('figure.ladder svg').length,
        segments: s.querySelectorAll('figure.ladder svg g.segment').length,
        titles: [...s.querySelectorAll('figure.ladder svg g.segment > title')].map((t) => t.textContent ?? ''),
        links: [...s.querySelectorAll('ul.files a')].map((a) => a.getAttribute('href') ?? ''),
      })),
    );
    await page.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
  }, 120_000);

  it('loads without console errors and without any request leaving the file', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  });

  it('has a section with one ladder per case the run traced', () => {
    const traced = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')).cases.map((c: { dir: string }) => c.dir);
    expect(traced).toHaveLength(4);
    expect(sections.map((s) => s.dir).sort()).toEqual([...traced].sort());
    for (const s of sections) expect(s.svgs, s.dir).toBe(1);
  });

  it('draws exactly one arrow per segment of each case\'s trace.json, each with its details', () => {
    for (const s of sections) {
      const trace = JSON.parse(readFileSync(join(runDir, s.dir, 'trace.json'), 'utf8')) as CaseTrace;
      expect(trace.segments.length, s.dir).toBeGreaterThan(2);
      expect(s.segments, s.dir).toBe(trace.segments.length);
      expect(s.titles.every((t) => /flags \S+/.test(t) && /seq=\d+ ack=/.test(t)), s.dir).toBe(true);
    }
  });

  it('links files that exist next to the report', () => {
    for (const s of sections) {
      expect(s.links.length).toBeGreaterThanOrEqual(3);
      for (const href of s.links) expect(existsSync(new URL(href, pathToFileURL(join(runDir, 'report.html')))), href).toBe(true);
    }
  });

  it('saves a screenshot in the run folder', () => {
    const png = readFileSync(join(runDir, 'report.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
