/**
 * Mermaid ladders drawn by Mermaid itself: its dist bundle (node_modules/mermaid)
 * in Debian's chromium, headless, no network. Every catalogue case in both families
 * (recorded traces in fixtures/catalogue/, refreshed by scripts/catalogue-traces.ts)
 * and `tcpladder show --format mermaid` of captures tcpladder did not write (one
 * from the repository, one recorded here by tcpdump on a loopback) must parse and
 * render, and show every segment as a message, in order: one by one, or counted in
 * a message of a bulk run of more than MERMAID_BULK_RUN data segments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentRow } from '../../harness/cli/show.js';
import { analyseConnections, decodeFrame, encodeFrame, pcapBytes, readCapture } from '../../harness/packet/index.js';
import {
  formatTime,
  ladderFromTrace,
  MERMAID_BULK_RUN,
  MERMAID_MAX_CHARS,
  renderLadderMermaid,
  segmentLabel,
  stateLabel,
  type Ladder,
  type LadderSegment,
} from '../../harness/report/index.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { tcpladder, ROOT } from '../cli/spawn-cli.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const CATALOGUE = join(import.meta.dirname, 'fixtures', 'catalogue');
const MERMAID_JS = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
const tmp = mkdtempSync(join(tmpdir(), 'tcpl-mermaid-test-'));
let context: BrowserContext | undefined;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

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

interface Drawn {
  error?: string;
  /** text of every message, in drawing order */
  messages: string[];
  notes: string[];
  /** messages whose line ends in a cross */
  crosses: number;
}

let renders = 0;
async function draw(text: string): Promise<Drawn> {
  const id = `m${++renders}`;
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
function expectMessagesInOrder(segments: LadderSegment[], messages: string[], where: string, cut = false): void {
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
    expect(count, `${where}: ${message}`).toBeGreaterThan(MERMAID_BULK_RUN);
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

function expectLadderDrawn(ladder: Ladder, drawn: Drawn, where: string): void {
  expect(drawn.error, where).toBeUndefined();
  const segments = ladder.rows.filter((r): r is LadderSegment => r.kind === 'segment');
  expectMessagesInOrder(segments, drawn.messages, where);
  const notes = ladder.rows.flatMap((r) => (r.kind === 'segment' ? [] : [`t=${formatTime(r.t)} ${r.kind === 'state' ? stateLabel(r) : r.text}`]));
  expect(drawn.notes, where).toEqual(notes);
  expect(drawn.crosses, `${where}: dropped segments drawn with a cross`).toBe(segments.filter((s) => s.marks?.includes('dropped')).length);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup installs it)`);
  context = await launchChromium(join(tmp, 'profile'));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ path: MERMAID_JS });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false }));
}, 60_000);

afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Mermaid ladders of the catalogue, drawn by Mermaid', () => {
  const files = readdirSync(CATALOGUE).filter((f) => f.endsWith('.trace.json')).sort();

  it('has a recorded trace of every case in both families', () => {
    const traces = files.map((f) => JSON.parse(readFileSync(join(CATALOGUE, f), 'utf8')) as CaseTrace);
    const families = new Map<string, string[]>();
    for (const t of traces) families.set(t.case, [...(families.get(t.case) ?? []), t.family].sort());
    for (const [name, fams] of families) expect(fams, name).toEqual(['ipv4', 'ipv6']);
    const recorded = new Set(traces.map((t) => t.file.slice(t.file.indexOf('cases/'))));
    const onDisk = readdirSync(join(ROOT, 'cases'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.case.ts'))
      .map((f) => `cases/${f}`);
    const missing = onDisk.filter((f) => !recorded.has(f));
    expect(missing, 'case files without a recorded trace: refresh them with `sudo node --import tsx scripts/catalogue-traces.ts`').toEqual([]);
    expect(traces.some((t) => t.segments.length > 2 * MERMAID_BULK_RUN + 100)).toBe(true); // a bulk case is among them
  });

  for (const f of files) {
    it(f.replace('.trace.json', ''), async () => {
      const ladder = ladderFromTrace(JSON.parse(readFileSync(join(CATALOGUE, f), 'utf8')) as CaseTrace);
      const text = renderLadderMermaid(ladder);
      expect(text.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
      expectLadderDrawn(ladder, await draw(text), f);
    });
  }
});

/** Ladder rows of a capture as `show` makes them, in capture order. */
function captureSegments(file: string): LadderSegment[] {
  const { frames } = readCapture(readFileSync(file));
  const analysed = analyseConnections(frames.map((fr, i) => ({ n: i + 1, time: fr.time, decoded: decodeFrame(fr.data, fr.linkType, fr.origLength) })));
  return analysed.segments.map((s) => segmentRow(s, frames[0]!.time));
}

async function expectShowDrawn(file: string): Promise<LadderSegment[]> {
  const show = await tcpladder(['show', '--format', 'mermaid', file]);
  expect(show.stderr).toBe('');
  expect(show.code).toBe(0);
  expect(show.stdout.startsWith('sequenceDiagram\n')).toBe(true);
  const drawn = await draw(show.stdout);
  expect(drawn.error).toBeUndefined();
  const segments = captureSegments(file);
  expectMessagesInOrder(segments, drawn.messages, file);
  expect(drawn.notes).toEqual([]);
  return segments;
}

describe('tcpladder show --format mermaid of captures tcpladder did not write, drawn by Mermaid', () => {
  it('a pcapng of a reordering bridge', async () => {
    const segments = await expectShowDrawn(join(ROOT, 'test/packet/fixtures/bridge-reordering-ipv6.pcap'));
    expect(segments.some((s) => s.marks?.includes('out-of-order'))).toBe(true);
  });

  it('a capture tcpdump makes of a loopback: a transfer of 200 kB, then a connection refused', async () => {
    const file = join(tmp, 'loopback.pcap');
    const traffic = `
      const net = require('net');
      const server = net.createServer((s) => { s.resume(); s.on('end', () => s.end()); });
      server.listen(5002, '127.0.0.1', () => {
        const c = net.connect(5002, '127.0.0.1', () => c.end(Buffer.alloc(200000, 97)));
        c.resume();
        c.on('close', () => net.connect(5003, '127.0.0.1').on('error', () => server.close()));
      });`;
    // a network namespace of its own, gone with its last process: nothing else on its loopback
    const script = `set -e
      ip link set lo up mtu 1500
      ethtool -K lo tso off gso off gro off >/dev/null
      tcpdump -i lo --immediate-mode -U -w "$1" tcp 2>"$1.log" &
      dump=$!
      trap 'kill -INT $dump 2>/dev/null; wait $dump' EXIT
      for i in $(seq 600); do grep -q 'listening on' "$1.log" && break; sleep 0.05; done
      grep -q 'listening on' "$1.log"
      timeout 30 "$2" -e "$3"
      # tcpdump stops reading at SIGINT: first let it write what it has (the file stops growing)
      last=-1; same=0
      for i in $(seq 100); do
        size=$(stat -c %s "$1"); [ "$size" = "$last" ] && same=$((same + 1)) || same=0; last=$size
        [ $same -ge 3 ] && break; sleep 0.1
      done`;
    const r = spawnSync('unshare', ['--net', 'sh', '-c', script, 'sh', file, process.execPath, traffic], { encoding: 'utf8', timeout: 90_000 });
    expect(r.status, `${r.stderr}${existsSync(`${file}.log`) ? readFileSync(`${file}.log`, 'utf8') : ''}`).toBe(0);
    const segments = await expectShowDrawn(file);
    expect(new Set(segments.map((s) => s.conn)).size).toBe(2);
    expect(segments.some((s) => s.flags.includes('RST'))).toBe(true);
    expect(segments.filter((s) => s.len > 0).length).toBeGreaterThan(MERMAID_BULK_RUN); // 200 kB at MSS 1448: a bulk run
  }, 120_000);
});

describe('a Mermaid ladder too long for Mermaid', () => {
  it('is cut at a row, still parses and renders, and its last note says how much was left out', async () => {
    // 1500 connections to one server, each a SYN and an RST: 1501 participants
    const frames = [];
    for (let k = 0; k < 1500; k++) {
      const c = { src: `10.2.${k >> 8}.${k & 255}`, dst: '10.2.255.1', sport: 40000 + k, dport: 80 };
      const s = { src: c.dst, dst: c.src, sport: 80, dport: c.sport };
      frames.push({ time: 1_700_000_000_000_000_000n + BigInt(k) * 2_000_000n, data: encodeFrame({ ...c, seq: k, flags: 'S', options: [{ kind: 2, mss: 1460 }] }) });
      frames.push({ time: 1_700_000_000_001_000_000n + BigInt(k) * 2_000_000n, data: encodeFrame({ ...s, seq: 0, ack: k + 1, flags: 'RA' }) });
    }
    const file = join(tmp, 'many.pcap');
    writeFileSync(file, pcapBytes(frames));
    const show = await tcpladder(['show', '--format', 'mermaid', file]);
    expect([show.code, show.stderr]).toEqual([0, '']);
    expect(show.stdout.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
    const drawn = await draw(show.stdout);
    expect(drawn.error).toBeUndefined();
    expect(drawn.messages.length).toBeGreaterThan(200);
    expectMessagesInOrder(captureSegments(file), drawn.messages, file, true);
    expect(drawn.notes).toEqual([
      `cut here: the last ${3000 - drawn.messages.length} rows (${3000 - drawn.messages.length} segments, 0 states, 0 calls and notes) would make the diagram longer than Mermaid draws`,
    ]);
  });
});

describe('the page', () => {
  it('made no request and threw nothing', () => {
    expect(requests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
