/**
 * report.html from traces recorded by real runs (test/report/fixtures/): a row per case
 * (its IPv4 and IPv6 runs, its stacks, side by side) grouped by topic, failures first;
 * the filters' and search's markup, links, escaping, and nothing external. What the
 * page's script does with them is tested in chromium (browser.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { renderReportHtml, type ReportCase, type ReportInput } from '../../harness/report/index.js';
import { failureBody } from '../../harness/report/html-failure.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { activeClose, handshake, RUN, wrongAck, wrongAckMessage } from './run-fixtures.js';
import { bySelector, child, findAll, parseXml, textOf, type XmlElement } from './xml.js';

function render(cases: ReportCase[], more: Partial<ReportInput> = {}): { html: string; root: XmlElement } {
  const html = renderReportHtml({ run: RUN, cases, ...more });
  // the inline script is not XML (its && and <): the page's markup is parsed without it
  const markup = html.replace(/^<!DOCTYPE html>\n/, '').replace(/<script>[\s\S]*?<\/script>/, '<script></script>');
  return { html, root: parseXml(markup) };
}

/** A case's row (a details.case) and the block of each of its runs (section.run). */
const rows = (root: XmlElement) => findAll(root, bySelector('details', 'case'));
const sections = (root: XmlElement) => findAll(root, bySelector('section', 'run'));
const hrefs = (el: XmlElement) => findAll(el, (e) => e.name === 'a').map((a) => a.attrs['href']!);
const cells = (row: XmlElement) => findAll(row, (e) => e.name === 'a' && (e.attrs['class'] ?? '').startsWith('cell')).map((a) => [a.attrs['class'], a.attrs['href']]);

describe('renderReportHtml', () => {
  const { html, root } = render([handshake, activeClose, wrongAck]);

  it('is one well-formed page, its cases grouped by topic, the topic with a failure first', () => {
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    const topics = findAll(root, bySelector('section', 'topic'));
    expect(topics.map((t) => t.attrs['id'])).toEqual(['topic-tutorial', 'topic-handshake', 'topic-close']);
    expect(topics.map((t) => rows(t).map((r) => [r.attrs['id'], r.attrs['class']]))).toEqual([
      [['case-server-closes-first-with-a-wrong-ack', 'case failed']],
      [['case-three-way-handshake', 'case passed']],
      [['case-active-close-fin_wait_1-fin_wait_2-time_wait'.replace(/_/g, '-'), 'case passed']],
    ]);
    expect(textOf(child(child(root, 'head')!, 'title')!)).toBe('tcpladder run abc12: 1 failed');
  });

  it('puts failing rows first within a topic', () => {
    const passing: ReportCase = { dir: 'a-ipv4', trace: { ...wrongAck.trace, case: 'a passing one', status: 'passed' } };
    const { root: r } = render([passing, wrongAck]);
    expect(rows(r).map((e) => e.attrs['class'])).toEqual(['case failed', 'case passed']);
  });

  it('shows a case\'s IPv4 and IPv6 runs as one row with a verdict each', () => {
    const v6: ReportCase = { dir: 'three-way-handshake-ipv6', trace: { ...handshake.trace, family: 'ipv6', status: 'failed' } };
    const { root: r } = render([handshake, v6]);
    expect(rows(r)).toHaveLength(1);
    const row = rows(r)[0]!;
    expect(row.attrs['class']).toBe('case failed');
    expect(cells(row)).toEqual([
      ['cell passed', '#run-three-way-handshake-ipv4'],
      ['cell failed', '#run-three-way-handshake-ipv6'],
    ]);
    expect(sections(row).map((s) => s.attrs['id'])).toEqual(['run-three-way-handshake-ipv4', 'run-three-way-handshake-ipv6']);
    expect(findAll(row, bySelector('a', 'permalink')).map((a) => a.attrs['href'])).toEqual(['#case-three-way-handshake']);
  });

  it('shows a matrix\'s stacks as columns of one row, and offers a filter by stack', () => {
    const on = (c: ReportCase, stack: string, status: CaseTrace['status']): ReportCase => ({ ...c, dir: `${stack}/${c.dir}`, stack, trace: { ...c.trace, status, hosts: c.trace.hosts.map((h) => ({ ...h, stack })) } as CaseTrace });
    const { root: r } = render([on(handshake, 'linux', 'passed'), on(handshake, 'gvisor', 'known-failure')]);
    expect(cells(rows(r)[0]!)).toEqual([
      ['cell known-failure', '#run-gvisor_three-way-handshake-ipv4'],
      ['cell passed', '#run-linux_three-way-handshake-ipv4'],
    ]);
    const options = findAll(r, (e) => e.name === 'option').map((o) => o.attrs['value']);
    expect(options).toEqual(['', 'gvisor', 'linux']);
    expect(findAll(render([handshake]).root, (e) => e.name === 'select')).toHaveLength(0);
  });

  it('a matrix: each stack\'s counts and report among the facts, a guest\'s first difference from linux in the row, the differences below', () => {
    const on = (c: ReportCase, stack: string): ReportCase => ({ ...c, dir: `${stack}/${c.dir}`, stack, trace: { ...c.trace, hosts: c.trace.hosts.map((h) => ({ ...h, stack })) } as CaseTrace });
    const stack = (name: string) => ({ name, version: `${name} 1`, dir: name, exitCode: 0, passed: 1, failed: 0, knownFailures: 0, notApplicable: 0 });
    const matrix = {
      version: 1, kind: 'matrix', run: 'abc12', startedAt: RUN.startedAt, durationMs: 1, stacks: [stack('linux'), stack('gvisor')], hosts: {}, pinned: [], cases: [], stale: [], problems: [],
      differences: [{ stack: 'gvisor', file: 'diff-gvisor.html', cases: { 'three-way handshake [ipv4]': { first: 'segment 2: win 65160 → 1048576', differences: 3, accepted: 1 } } }],
    } as unknown as NonNullable<ReportInput['matrix']>;
    const { root: r } = render([on(handshake, 'linux'), on(handshake, 'gvisor')], { matrix });
    const facts = findAll(r, (e) => e.name === 'dd' && (e.attrs['data-fact'] ?? '').startsWith('stack '));
    expect(facts.map((dd) => [dd.attrs['data-fact'], hrefs(dd)])).toEqual([['stack linux', ['linux/report.html']], ['stack gvisor', ['gvisor/report.html']]]);
    expect(findAll(r, (e) => e.attrs['data-fact'] === 'kernel')).toHaveLength(0);
    const row = rows(r)[0]!;
    expect(cells(row).map(([cls]) => cls)).toEqual(['cell passed', 'cell passed']);
    expect(findAll(row, bySelector('p', 'difference')).map(textOf)).toEqual(['gvisor vs linux [ipv4]: first difference: segment 2: win 65160 → 1048576 (3 in all, 1 accepted)']);
    const notes = findAll(r, bySelector('section', 'matrix-notes'));
    expect(notes.map((n) => textOf(child(n, 'h2')!))).toEqual(['Differences from linux (shown, not judged)']);
    expect(hrefs(notes[0]!)).toEqual(['diff-gvisor.html']);
    expect(textOf(child(child(r, 'head')!, 'title')!)).toBe('tcpladder matrix abc12: no new failure');
  });

  it('has a verdict filter, a search box and keys', () => {
    const boxes = findAll(root, (e) => e.name === 'input' && e.attrs['name'] === 'verdict').map((e) => e.attrs['value']);
    expect(boxes).toEqual(['failed', 'passed']);
    expect(findAll(root, (e) => e.name === 'input' && e.attrs['type'] === 'search')).toHaveLength(1);
    expect(rows(root).map((r) => r.attrs['data-search'])).toContain('three-way handshake\n' + handshake.trace.file.toLowerCase());
  });

  it('leaves each ladder to its ladder.svg, fetched when the row opens', () => {
    for (const s of sections(root)) {
      const figure = findAll(s, bySelector('figure', 'ladder'))[0]!;
      expect(figure.attrs['data-src']).toBe(`${s.attrs['data-dir']}/ladder.svg`);
    }
    expect(html).not.toContain('<svg');
  });

  it('gives every element id a unique value across the page', () => {
    const ids = findAll(root, (e) => e.attrs['id'] !== undefined).map((e) => e.attrs['id']);
    expect(ids.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(ids.length);
    for (const href of hrefs(root).filter((h) => h.startsWith('#'))) expect(ids).toContain(href.slice(1));
  });

  it('is self-contained: one inline script, no external styles, fonts, images or absolute URLs', () => {
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<link|<img|<iframe|@import|@font-face|url\(|\ssrc=/i);
    expect([...html.matchAll(/[a-z]+:\/\/[^"' <]*/gi)].map((m) => m[0])).toEqual([]);
  });

  it('links each case\'s pcap, trace and ladders relative to the report', () => {
    expect(hrefs(findAll(sections(root)[1]!, bySelector('ul', 'files'))[0]!)).toEqual([
      'three-way-handshake-ipv4/wire.pcap',
      'three-way-handshake-ipv4/trace.json',
      'three-way-handshake-ipv4/ladder.txt',
      'three-way-handshake-ipv4/ladder.svg',
    ]);
    const withMermaid: ReportCase = { ...handshake, dir: 'linux/x', trace: { ...handshake.trace, files: { ...handshake.trace.files, mermaid: 'ladder.mmd' } } };
    expect(hrefs(findAll(render([withMermaid]).root, bySelector('ul', 'files'))[0]!).at(-1)).toBe('linux/x/ladder.mmd');
  });

  it('states the run: kernel, profile, counts, duration', () => {
    const facts = Object.fromEntries(findAll(root, (e) => e.name === 'dd').map((dd) => [dd.attrs['data-fact'], textOf(dd)]));
    expect(facts).toMatchObject({
      cases: '3 cases, 3 runs (2 passed, 1 failed)',
      kernel: RUN.kernel,
      profile: '(none: the kernel defaults)',
      duration: '4.6 s',
    });
    const withProfile = render([handshake], { run: { ...RUN, profile: 'no-timestamps' } }).root;
    expect(textOf(findAll(withProfile, (e) => e.attrs['data-fact'] === 'profile')[0]!)).toBe('no-timestamps');
  });

  it('shows the failure\'s expected/observed table with the mismatch marked, without the text ladder', () => {
    const pre = findAll(sections(root)[0]!, bySelector('pre', 'failure'));
    expect(pre).toHaveLength(1);
    const marks = findAll(pre[0]!, bySelector('mark', 'miss')).map(textOf);
    expect(marks).toHaveLength(1);
    expect(marks[0]).toContain('server > client ACK ack=5');
    expect(marks[0]).toContain('← ack: expected 5, got 6');
    expect(textOf(child(pre[0]!, 'strong')!)).toBe('the wire does not match: pattern 5: ack: expected 5, got 6');
    expect(textOf(pre[0]!)).toContain('at cases/tutorial/wrong-ack.case.ts:19:3');
    expect(textOf(pre[0]!)).not.toContain('observed ladder:');
    expect(findAll(sections(root)[1]!, bySelector('pre', 'failure'))).toHaveLength(0);
  });

  it('falls back to the trace\'s one-line error when the whole message is unknown', () => {
    const { root: r } = render([{ ...wrongAck, message: undefined }]);
    expect(textOf(findAll(r, bySelector('pre', 'failure'))[0]!)).toBe(wrongAck.trace.error);
  });

  it('tabulates every segment with relative numbers and decoded options', () => {
    const table = findAll(sections(root)[1]!, bySelector('table', 'segments'))[0]!;
    const rows = findAll(child(table, 'tbody')!, (e) => e.name === 'tr').map((tr) => tr.children.filter((c) => typeof c !== 'string').map((td) => textOf(td as XmlElement)));
    expect(rows).toHaveLength(handshake.trace.segments.length);
    const syn = handshake.trace.segments[0]!;
    expect(rows[0]!.slice(0, 8)).toEqual([String(syn.n), syn.t.toFixed(6), 'client → server', 'SYN', '0', '', '0', String(syn.win)]);
    expect(rows[0]![8]).toMatch(/^mss 1460,sackOK,ts \d+ 0,nop,wscale \d+$/);
  });

  it('lists state transitions with the source that saw each, TIME_WAIT from sock_diag', () => {
    const states = findAll(sections(root)[2]!, bySelector('table', 'states'))[0]!;
    const text = textOf(states);
    expect(text).toContain('FIN_WAIT_2 → TIME_WAIT');
    const sources = findAll(states, (e) => e.name === 'span' && (e.attrs['class'] ?? '').startsWith('source')).map(textOf);
    expect(new Set(sources)).toEqual(new Set(['tracepoint', 'sock_diag']));
  });

  it('shows socket calls and the wire check', () => {
    const s = sections(root)[1]!;
    expect(textOf(findAll(s, bySelector('table', 'calls'))[0]!)).toContain('connect(');
    const wire = findAll(s, (e) => e.name === 'details' && (e.attrs['class'] ?? '').startsWith('wire'))[0]!;
    expect(wire.attrs['class']).toBe('wire complete');
    expect(textOf(child(wire, 'summary')!)).toContain('✓ complete');
  });

  it('escapes names, messages and every other text from the trace', () => {
    const evil = '<script>alert("x")</script> & \u001b[31m';
    const t: CaseTrace = { ...wrongAck.trace, case: evil, error: evil, hosts: [], segments: [], sockets: [], calls: [], wire: null };
    const out = render([{ dir: 'evil"dir', trace: t, message: `${evil}\n✗ ${evil}` }]);
    expect(out.html.match(/<script>/g)).toHaveLength(1);
    const row = rows(out.root)[0]!;
    expect(textOf(findAll(row, bySelector('span', 'name'))[0]!)).toContain(evil.replace('\u001b', ''));
    const s = sections(out.root)[0]!;
    expect(textOf(findAll(s, bySelector('mark', 'miss'))[0]!)).toBe(`✗ ${evil}`.replace('\u001b[31m', '').trimEnd());
    expect(hrefs(s)[0]).toBe('evil%22dir/wire.pcap');
    expect(textOf(findAll(s, bySelector('p', 'no-ladder'))[0]!)).toContain('No ladder');
  });

  it('reports problems that left no trace (a case file that did not load)', () => {
    const { root: r } = render([handshake], { problems: [{ title: 'cases/x.case.ts did not load', message: 'SyntaxError: Unexpected token' }] });
    const p = findAll(r, bySelector('section', 'problem'));
    expect(p).toHaveLength(1);
    expect(textOf(p[0]!)).toContain('SyntaxError: Unexpected token');
    expect(textOf(child(child(r, 'head')!, 'title')!)).toBe('tcpladder run abc12: 1 failed');
  });
});

describe('failureBody', () => {
  it('keeps the table and drops the text ladder and pcap path', () => {
    const body = failureBody(wrongAckMessage);
    expect(body.split('\n')[0]).toBe('the wire does not match: pattern 5: ack: expected 5, got 6');
    expect(body).toContain('✗ server > client ACK');
    expect(body).not.toContain('pcap:');
    expect(body).not.toContain('├');
  });

  it('leaves a message without a ladder whole, minus colour', () => {
    expect(failureBody('\u001b[31mcapture incomplete: client sent 4 frames\u001b[39m\n')).toBe('capture incomplete: client sent 4 frames');
  });
});

describe('renderReportHtml: how a case was observed and why it failed', () => {
  it('marks a failure on bad input as such', () => {
    const bad: ReportCase = { ...wrongAck, trace: { ...wrongAck.trace, errorKind: 'input', error: 'x.case.ts:6:16: listen: port 70000 is out of range (1–65535)' } };
    expect(textOf(findAll(render([bad]).root, bySelector('p', 'meta'))[0]!)).toContain('bad input in the case file (not a kernel verdict)');
    expect(textOf(findAll(render([wrongAck]).root, bySelector('p', 'meta'))[0]!)).not.toContain('bad input');
  });

  it('says when states were sampled (rootless), with the gaps between samples', () => {
    const sampled: ReportCase = {
      ...handshake,
      trace: {
        ...handshake.trace,
        states: { source: 'sampled', sampleMs: { median: 1.1, max: 12.5, samples: 40 } },
        sockets: handshake.trace.sockets.map((s) => ({ ...s, transitions: s.transitions.map((t) => ({ ...t, source: 'sampled' })) })),
      },
    };
    const html = render([sampled]).html;
    expect(html).toContain('Rootless run: states were sampled through sock_diag (gaps between samples: median 1.10 ms, longest 12.5 ms)');
    expect(html).toContain('<span class="source sampled">sampled</span>');
    expect(render([handshake]).html).not.toContain('Rootless run');
  });
});

describe('renderReportHtml: the wire check', () => {
  it('shows per host the frames dropped while its link was not up and while it was', () => {
    const wire = { complete: false, problem: 'capture incomplete: the wire dropped 1 frames to server while its link was up', ports: [{ host: 'server', sent: 5, captured: 5, delivered: 7, received: 5, droppedBeforeUp: 1, droppedWhileUp: 1 }] };
    const { root } = render([{ ...wrongAck, trace: { ...wrongAck.trace, wire } }]);
    const table = findAll(root, bySelector('table', 'wire'))[0]!;
    const cells = findAll(table, (e) => e.name === 'td').map(textOf);
    expect(findAll(table, (e) => e.name === 'th').map(textOf)).toEqual(['host', 'sent', 'captured', 'delivered to it', 'received', 'dropped while its link was not up', 'dropped while its link was up']);
    expect(cells).toEqual(['server', '5', '5', '7', '5', '1', '1']);
  });
});
