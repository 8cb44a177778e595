/**
 * summary.md from traces recorded by real runs (test/report/fixtures/): the totals, a
 * table per topic (failing topics first and open, the others folded), each failure with
 * where it failed, its expected/observed table and its ladder as Mermaid; a matrix's
 * stacks as columns; and the size limit: blocks left out whole, what was left out named.
 */
import { describe, expect, it } from 'vitest';
import { renderSummaryMarkdown, type ReportCase, type ReportInput } from '../../harness/report/index.js';
import { fenced } from '../../harness/report/summary-md.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { activeClose, handshake, RUN, wrongAck } from './run-fixtures.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The fenced blocks of a Markdown text, as [info, body]; throws on a fence left open. */
function fences(md: string): [string, string][] {
  const out: [string, string][] = [];
  let open: { fence: string; info: string; lines: string[] } | null = null;
  for (const line of md.split('\n')) {
    if (open) {
      if (line === open.fence) {
        out.push([open.info, open.lines.join('\n')]);
        open = null;
      } else open.lines.push(line);
      continue;
    }
    const m = /^(`{3,})(\S*)$/.exec(line);
    if (m) open = { fence: m[1]!, info: m[2]!, lines: [] };
  }
  if (open) throw new Error(`a ${open.info} block is not closed`);
  return out;
}

/** The lines of the Markdown table under the heading or summary that contains `title`. */
function tableAfter(md: string, title: string): string[] {
  const from = md.indexOf(title);
  expect(from, title).toBeGreaterThanOrEqual(0);
  const lines = md.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end);
}

describe('renderSummaryMarkdown', () => {
  const md = renderSummaryMarkdown({ run: RUN, cases: [handshake, activeClose, wrongAck] }, { where: 'captures/abc12' });

  it('opens with the verdict and the totals', () => {
    const [title, , facts] = md.split('\n');
    expect(title).toBe('## ✗ tcpladder run abc12: 1 failed');
    expect(facts).toBe('3 cases, 3 runs: 2 passed, 1 failed · kernel 6.1.0-28-amd64 · 4.6 s');
    expect(md).toContain('is in `captures/abc12/`');
    const passing = renderSummaryMarkdown({ run: RUN, cases: [handshake] });
    expect(passing.split('\n')[0]).toBe('## ✓ tcpladder run abc12: all passed');
  });

  it('has a table per topic with a verdict per family, the failing topic first and open, the others folded', () => {
    const topics = [...md.matchAll(/^(?:### |<details><summary>)(\S[^:]*):/gm)].map((m) => m[1]);
    expect(topics.slice(0, 3)).toEqual(['tutorial', 'Handshake', 'Close']);
    expect(md).toContain('### tutorial: 1 case, 1 failing (0 passed, 1 failed)');
    expect(md).toContain('<details><summary>Handshake: 1 case, none failing (1 passed, 0 failed)</summary>');
    expect(tableAfter(md, '### tutorial')).toEqual([
      '| | case | IPv4 | IPv6 |',
      '|:-:|---|:-:|:-:|',
      `| ✗ | **${wrongAck.trace.case}** | ✗ |  |`,
    ]);
    expect(tableAfter(md, 'Close: 1 case')).toEqual(['| | case | IPv4 | IPv6 |', '|:-:|---|:-:|:-:|', '| ✓ | active close: FIN\\_WAIT\\_1 → FIN\\_WAIT\\_2 → TIME\\_WAIT |  | ✓ |']);
  });

  it('shows a failure: where it failed, its expected/observed table, its ladder as a Mermaid sequenceDiagram', () => {
    const failure = md.slice(md.indexOf('## Failures'));
    expect(failure).toContain(`### ✗ ${wrongAck.trace.case} \\[IPv4\\]`);
    expect(failure).toContain('`cases/tutorial/wrong-ack.case.ts:19` · linux');
    expect(failure).toContain('files in `captures/abc12/wrong-ack-ipv4/`');
    const blocks = fences(failure);
    expect(blocks.map(([info]) => info)).toEqual(['text', 'mermaid']);
    const [, table] = blocks[0]!;
    expect(table.split('\n')[0]).toBe('the wire does not match: pattern 5: ack: expected 5, got 6');
    expect(table).toMatch(/expected +observed/);
    expect(table).toContain('← ack: expected 5, got 6');
    expect(table).not.toContain('├'); // the text ladder stays in the terminal: Mermaid draws it here
    const [, mermaid] = blocks[1]!;
    expect(mermaid.split('\n')[0]).toBe('sequenceDiagram');
    const messages = mermaid.split('\n').filter((l) => /^\s+h\d+-[->x)]+h\d+: /.test(l));
    expect(messages).toHaveLength(wrongAck.trace.segments.length);
    expect(messages[0]).toMatch(/h0->>h1: t=[\d.]+ SYN seq=0 /);
  });

  it('puts a failure at the expectation that failed when the trace recorded its line', () => {
    const located: ReportCase = { ...wrongAck, trace: { ...wrongAck.trace, file: 'cases/x.case.ts', expectations: [{ matcher: 'toHaveSegments', subject: 'wire', expected: '…', outcome: 'failed', line: 42 }] } };
    expect(renderSummaryMarkdown({ run: RUN, cases: [located] })).toContain('`cases/x.case.ts:42`');
  });

  it('names each stack of a matrix in the columns, and the stacks in a table', () => {
    const on = (c: ReportCase, stack: string): ReportCase => ({ ...c, dir: `${stack}/${c.dir}`, stack, trace: { ...c.trace, hosts: c.trace.hosts.map((h) => ({ ...h, stack })) } as CaseTrace });
    const matrix = {
      version: 1 as const,
      kind: 'matrix' as const,
      run: 'abc12',
      startedAt: RUN.startedAt,
      durationMs: 5000,
      stacks: [
        { name: 'linux', version: '6.1.0', dir: 'linux', exitCode: 1, passed: 1, failed: 1, knownFailures: 0, notApplicable: 0 },
        { name: 'gvisor', version: 'runsc 2024', dir: 'gvisor', exitCode: 0, passed: 2, failed: 0, knownFailures: 0, notApplicable: 0 },
      ],
      hosts: {},
      differences: [],
      stale: [],
    };
    const out = renderSummaryMarkdown({ run: RUN, cases: [on(handshake, 'linux'), on(wrongAck, 'linux'), on(handshake, 'gvisor'), on(wrongAck, 'gvisor')].map((c) => (c.stack === 'gvisor' ? { ...c, trace: { ...c.trace, status: 'passed' } } : c)), matrix } as unknown as ReportInput);
    expect(out.split('\n')[0]).toBe('## ✗ tcpladder matrix abc12: 1 failed');
    expect(tableAfter(out, '### tutorial')).toEqual([
      '| | case | linux IPv4 | gvisor IPv4 |',
      '|:-:|---|:-:|:-:|',
      `| ✗ | **${wrongAck.trace.case}** | ✗ | ✓ |`,
    ]);
    expect(tableAfter(out, '| stack |')[2]).toBe('| linux | 6.1.0 | 1 | 1 | 0 | 0 |');
    expect(out).toContain(`### ✗ ${wrongAck.trace.case} \\[IPv4\\] on linux`);
  });
});

describe('summary.md within a size limit', () => {
  // 40 failures, each about 6 kB with its ladder: 240 kB in all
  const failures: ReportCase[] = Array.from({ length: 40 }, (_, i) => ({ ...wrongAck, dir: `wrong-ack-${i}-ipv4`, trace: { ...wrongAck.trace, case: `wrong ack ${String(i).padStart(2, '0')}` } }));
  const input: ReportInput = { run: RUN, cases: [handshake, activeClose, ...failures] };
  const whole = renderSummaryMarkdown(input, { maxBytes: 10_000_000 });

  it('holds everything when it fits, without a note', () => {
    expect(fences(whole).filter(([info]) => info === 'mermaid')).toHaveLength(40);
    expect(whole).not.toContain('Left out');
  });

  let kept = 40;
  for (const maxBytes of [100_000, 60_000, 12_000, 3_600]) {
    it(`stays within ${maxBytes} bytes: ladders go first, then whole failures, never half a block, and says what went`, () => {
      const md = renderSummaryMarkdown(input, { maxBytes, where: 'captures/abc12' });
      expect(bytes(md)).toBeLessThanOrEqual(maxBytes);
      const blocks = fences(md); // throws on a block cut open
      const ladders = blocks.filter(([info]) => info === 'mermaid');
      const shown = [...md.matchAll(/^### ✗ wrong ack (\d+)/gm)].map((m) => Number(m[1]));
      // the first failures stay, the last ones go; fewer with less room
      expect(shown).toEqual(shown.map((_, i) => i));
      expect(shown.length).toBeLessThanOrEqual(kept);
      kept = shown.length;
      for (const [, text] of ladders) expect(whole).toContain(text);
      // every topic table stays
      expect(md).toContain('### tutorial: 40 cases, 40 failing');
      expect(md).toContain('<details><summary>Handshake');
      const note = /\n\n---\n\n\*\*Left out to stay within GitHub's 1024 KiB for a summary:\*\* (.*)\. report\.html and summary\.json in `captures\/abc12\/` have everything\.\n$/.exec(md);
      expect(note, md.slice(-400)).not.toBeNull();
      const goneWhole = Number(/(\d+) failures? \(with their ladders\)/.exec(note![1]!)?.[1] ?? 0);
      const laddersGone = Number(/the ladders of (\d+) failures?/.exec(note![1]!)?.[1] ?? 0);
      expect(goneWhole + laddersGone).toBeGreaterThan(0);
      expect(goneWhole).toBe(40 - shown.length);
      expect(laddersGone).toBe(shown.length - ladders.length);
      // the ladders go before any failure does
      if (goneWhole > 0) expect(ladders).toHaveLength(0);
      if (maxBytes === 100_000) expect(goneWhole).toBe(0);
      if (shown.length === 0) expect(md).not.toContain('## Failures');
    });
  }

  it('with no room for any failure, still has the tables and the note', () => {
    expect(kept).toBe(0);
  });
});

describe('fenced', () => {
  it('uses a fence longer than any run of backticks in the text', () => {
    const text = 'a ``` b\n````\nc';
    const block = fenced('text', text);
    expect(block).toBe(`\`\`\`\`\`text\n${text}\n\`\`\`\`\`\n`);
    expect(fences(block)).toEqual([['text', text]]);
  });
});
