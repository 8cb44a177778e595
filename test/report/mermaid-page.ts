/**
 * Mermaid itself in Debian's chromium (headless, no network): its dist bundle
 * (node_modules/mermaid) in a blank page, a diagram text parsed and rendered, and what
 * it drew read back; and the check that a ladder's segments are its messages, in order.
 * Shared by the tests of ladder.mmd and of summary.md.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { formatTime, BULK_RUN, segmentLabel, stateLabel, type Ladder, type LadderSegment } from '../../harness/report/index.js';
import { launchChromium } from './chromium.js';

const MERMAID_JS = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

export interface MermaidPage {
  context: BrowserContext;
  /** parses and renders `text`; what it drew, or the error */
  draw(text: string): Promise<Drawn>;
  /** every request the page made (all refused) */
  requests: string[];
  pageErrors: string[];
}

export async function openMermaidPage(profileParent: string): Promise<MermaidPage> {
  const context = await launchChromium(join(profileParent, 'profile'));
  const page = context.pages()[0] ?? (await context.newPage());
  const requests: string[] = [];
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ path: MERMAID_JS });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false }));
  let renders = 0;
  return { context, requests, pageErrors, draw: (text) => draw(page, text, `m${++renders}`) };
}

// What the code evaluated in the page uses of it (this project's lib has no DOM types).
interface Mermaid {
  initialize(config: object): void;
  parse(text: string): Promise<unknown>;
  render(id: string, text: string): Promise<{ svg: string }>;
}
interface Nodes {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
}
declare const window: { mermaid: Mermaid };
declare const DOMParser: new () => { parseFromString(text: string, type: string): Nodes };

export interface Drawn {
  error?: string;
  /** text of every message, in drawing order */
  messages: string[];
  notes: string[];
  /** messages whose line ends in a cross */
  crosses: number;
}

function draw(page: Page, text: string, id: string): Promise<Drawn> {
  return page.evaluate(
    async ({ text, id }) => {
      const mermaid = window.mermaid;
      try {
        await mermaid.parse(text);
      } catch (e) {
        return { error: `parse: ${(e as Error).message}`, messages: [], notes: [], crosses: 0 };
      }
      let svg: string;
      try {
        ({ svg } = await mermaid.render(id, text));
      } catch (e) {
        return { error: `render: ${(e as Error).message}`, messages: [], notes: [], crosses: 0 };
      }
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      if (doc.querySelector('parsererror') || /Maximum text size|Syntax error/.test(svg)) return { error: svg.slice(0, 300), messages: [], notes: [], crosses: 0 };
      return {
        messages: Array.from(doc.querySelectorAll('text.messageText'), (t) => t.textContent ?? ''),
        notes: Array.from(doc.querySelectorAll('text.noteText'), (t) => t.textContent ?? ''),
        crosses: doc.querySelectorAll('[class^="messageLine"][marker-end*="crosshead"]').length,
      };
    },
    { text, id },
  );
}

/**
 * Walks the ladder's segments along the drawn messages: a message is either the
 * next segment's label, or a bulk run's count of data segments (then its ACKs'
 * count), which takes that many segments of the run.
 */
export function expectMessagesInOrder(segments: LadderSegment[], messages: string[], where: string, cut = false): void {
  const showConn = new Set(segments.map((s) => s.conn)).size > 1;
  let i = 0;
  for (let k = 0; k < messages.length; k++) {
    const message = messages[k]!;
    const bulk = /^t=[\d.]+…[\d.]+ (?:#\d+ )?data ×(\d+), (\d+) bytes(?: \([\d.]+ [kM]B\))?, seq=(\d+)…(\d+)$/.exec(message);
    if (bulk === null) {
      const seg = segments[i];
      expect(seg, `${where}: message ${k} "${message}" has no segment left`).toBeDefined();
      expect(message, `${where}: message ${k}`).toBe(`t=${formatTime(seg!.t)} ${segmentLabel(seg!, showConn)}`);
      i++;
      continue;
    }
    const [count, bytes, first, end] = bulk.slice(1).map(Number) as [number, number, number, number];
    expect(count, `${where}: ${message}`).toBeGreaterThan(BULK_RUN);
    const sender = segments[i]!;
    expect(sender.seq, `${where}: ${message}`).toBe(first);
    let data = 0;
    let sent = 0;
    let acks = 0;
    let last = sender;
    while (data < count) {
      const s = segments[i++]!;
      expect(s, `${where}: ${message}: ran out of segments`).toBeDefined();
      expect(s.marks, `${where}: a marked segment inside "${message}"`).toBeUndefined();
      if (s.from === sender.from) {
        expect(s.len, `${where}: ${message}`).toBeGreaterThan(0);
        data++;
        sent += s.len;
        last = s;
      } else {
        expect([s.flags, s.len], `${where}: ${message}`).toEqual(['ACK', 0]);
        acks++;
      }
    }
    expect([sent, last.seq + last.len], `${where}: ${message}`).toEqual([bytes, end]);
    const ackLine = /^t=[\d.]+…[\d.]+ (?:#\d+ )?ACK ×(\d+), ack=\d+…(\d+)$/.exec(messages[k + 1] ?? '');
    if (ackLine === null) {
      expect(acks, `${where}: ACKs inside "${message}" and no ACK message after it`).toBe(0);
      continue;
    }
    k++;
    let ackCount = Number(ackLine[1]);
    for (ackCount -= acks; ackCount > 0; ackCount--) {
      const s = segments[i++]!;
      expect([s.from, s.flags, s.len], `${where}: ${messages[k]}`).toEqual([sender.to, 'ACK', 0]);
    }
  }
  if (cut) expect(i, `${where}: a cut diagram`).toBeLessThan(segments.length);
  else expect(i, `${where}: segments not drawn`).toBe(segments.length);
}

export function expectLadderDrawn(ladder: Ladder, drawn: Drawn, where: string): void {
  expect(drawn.error, where).toBeUndefined();
  const segments = ladder.rows.filter((r): r is LadderSegment => r.kind === 'segment');
  expectMessagesInOrder(segments, drawn.messages, where);
  const notes = ladder.rows.flatMap((r) => (r.kind === 'segment' ? [] : [`t=${formatTime(r.t)} ${r.kind === 'state' ? stateLabel(r) : r.text}`]));
  expect(drawn.notes, where).toEqual(notes);
  expect(drawn.crosses, `${where}: dropped segments drawn with a cross`).toBe(segments.filter((s) => s.marks?.includes('dropped')).length);
}
