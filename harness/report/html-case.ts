/**
 * One run of a case (a family, on a stack) inside its row of the HTML report: heading,
 * links to its files, the failure (expected beside observed), its ladder (ladder.svg
 * beside it, fetched when the row is opened), and collapsible tables of segments (the
 * first MAX_SEGMENT_ROWS), state transitions, socket calls, kernel events and the wire's
 * completeness check.
 */
import { formatOptions, type TcpOption } from '../packet/index.js';
import type { CaseTrace, TraceOption, TraceSegment, TraceSocket } from '../trace/types.js';
import type { ReportCase } from './case-rows.js';
import { familyLabel, VERDICT_WORDS } from './case-rows.js';
import { failureHtml } from './html-failure.js';
import { sackBaseOf } from './from-trace.js';
import { escapeHtml, formatDuration, formatSeconds, relHref, statusMark, table, tag } from './html-util.js';

/** A bridge-mode bulk case has thousands of segments: its ladder and trace.json show them all. */
export const MAX_SEGMENT_ROWS = 200;

/** Element id of a run's block: run-<its folder>. */
export function runAnchor(c: ReportCase): string {
  return `run-${c.dir.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export function caseTitle(trace: CaseTrace): string {
  return `${trace.case} [${familyLabel(trace.family)}]`;
}

/** The stacks a run's hosts ran, e.g. "linux" or "linux gvisor". */
export function runStacks(c: ReportCase): string[] {
  const hosts = [...new Set(c.trace.hosts.map((h) => h.stack ?? 'linux'))].sort();
  return hosts.length ? hosts : [c.stack ?? 'linux'];
}

function toTcpOptions(o: TraceOption[]): TcpOption[] {
  return o.map(({ raw, ...rest }) => (raw ? { ...rest, raw: Buffer.from(raw, 'hex') } : rest));
}

function code(text: string): string {
  return tag('code', {}, escapeHtml(text));
}

function details(cls: string, summary: string, body: string, open = false): string {
  return tag('details', { class: cls, open }, tag('summary', {}, summary), body);
}

function links(c: ReportCase): string {
  const files = c.trace.files;
  const items: [string, string][] = [
    [files.pcap, 'pcap for Wireshark'],
    ['trace.json', 'everything the case saw'],
    [files.ladder, 'text ladder'],
    ...(files.svg ? [[files.svg, 'SVG ladder'] as [string, string]] : []),
    ...(files.mermaid ? [[files.mermaid, 'Mermaid ladder'] as [string, string]] : []),
  ];
  return tag(
    'ul',
    { class: 'files' },
    ...items.map(([file, what]) => tag('li', {}, tag('a', { href: relHref(...c.dir.split('/'), file), title: what }, escapeHtml(file)))),
  );
}

function segmentRow(s: TraceSegment): string[] {
  const marks = [...(s.marks ?? []), ...(s.malformed ? [`malformed: ${s.malformed}`] : []), ...(s.line !== undefined ? [`script line ${s.line}`] : [])];
  return [
    String(s.n),
    formatSeconds(s.t),
    escapeHtml(`${s.from} → ${s.to}`),
    tag('span', { class: `flags ${flagClass(s.flags)}` }, escapeHtml(s.flags || '(none)')),
    tag('span', { title: `absolute seq ${s.seq}` }, String(s.rseq)),
    s.flags.includes('ACK') ? tag('span', { title: `absolute ack ${s.ack}` }, String(s.rack)) : '',
    String(s.len),
    String(s.win),
    s.options.length ? code(formatOptions(toTcpOptions(s.options), { sackBase: sackBaseOf(s) })) : '',
    escapeHtml(marks.join(', ')),
  ];
}

function flagClass(flags: string): string {
  const f = new Set(flags.split(' '));
  return f.has('RST') ? 'rst' : f.has('SYN') ? 'syn' : f.has('FIN') ? 'fin' : 'plain';
}

function segmentsTable(trace: CaseTrace): string {
  const head = ['n', 't (s)', 'from → to', 'flags', 'seq', 'ack', 'len', 'win', 'options', 'marks'];
  const shown = trace.segments.slice(0, MAX_SEGMENT_ROWS);
  const rest = trace.segments.length - shown.length;
  const body = trace.segments.length
    ? table('segments', head, shown.map(segmentRow)) +
      (rest > 0 ? tag('p', { class: 'note' }, escapeHtml(`… and ${rest} more segments: the ladder, trace.json and wire.pcap have every one.`)) : '')
    : tag('p', { class: 'empty' }, 'no TCP segment was captured');
  const others = trace.otherFrames.length
    ? table(
        'other-frames',
        ['n', 't (s)', 'from', 'frame'],
        trace.otherFrames.map((f) => [String(f.n), formatSeconds(f.t), escapeHtml(f.from), escapeHtml(f.summary)]),
      )
    : '';
  const summary = `Segments (${trace.segments.length})` + (trace.otherFrames.length ? ` and other frames (${trace.otherFrames.length})` : '');
  return details('segments', escapeHtml(summary), body + others);
}

function socketName(s: TraceSocket): string {
  const ends = [s.local ?? 'unbound', ...(s.remote ? [s.remote] : [])].join(' → ');
  return `${s.label} on ${s.host} (${ends})`;
}

function statesTable(trace: CaseTrace): string {
  const rows: string[][] = [];
  for (const s of trace.sockets) {
    if (s.transitions.length === 0) {
      rows.push([escapeHtml(socketName(s)), '', tag('span', { class: 'empty' }, 'no transition observed'), '']);
      continue;
    }
    s.transitions.forEach((t, i) => {
      rows.push([
        i === 0 ? escapeHtml(socketName(s)) : '',
        formatSeconds(t.t),
        escapeHtml(`${t.from} → ${t.to}`),
        tag('span', { class: `source ${t.source.replace(/[^a-z_]/gi, '')}` }, escapeHtml(t.source)),
      ]);
    });
  }
  const count = trace.sockets.reduce((n, s) => n + s.transitions.length, 0);
  const sampling = trace.states?.source === 'sampled' ? samplingNote(trace.states.sampleMs) : '';
  const body = sampling + (rows.length ? table('states', ['socket', 't (s)', 'transition', 'seen by'], rows) : tag('p', { class: 'empty' }, 'no socket'));
  return details('states', escapeHtml(`State transitions (${count}, ${trace.sockets.length} sockets)`), body, true);
}

function samplingNote(gaps: { median: number; max: number } | undefined): string {
  const between = gaps ? ` (gaps between samples: median ${gaps.median.toFixed(2)} ms, longest ${gaps.max.toFixed(1)} ms)` : '';
  return tag(
    'p',
    { class: 'note' },
    escapeHtml(`Rootless run: states were sampled through sock_diag${between}, not reported by the kernel's tracepoint. A state shorter than a gap is not seen; kernel events (resets, retransmissions) were not recorded.`),
  );
}

function callsTable(trace: CaseTrace): string {
  const rows = trace.calls.map((c) => [
    formatSeconds(c.t),
    escapeHtml(c.host),
    escapeHtml(c.socket),
    code(`${c.call}(${c.args ?? ''})`) + (c.line !== undefined ? escapeHtml(` (script line ${c.line})`) : ''),
    escapeHtml(c.result),
    escapeHtml(`${c.ms.toFixed(2)} ms`),
  ]);
  const body = rows.length ? table('calls', ['t (s)', 'host', 'socket', 'call', 'result', 'took'], rows) : tag('p', { class: 'empty' }, 'no socket call');
  return details('calls', escapeHtml(`Socket calls (${trace.calls.length})`), body);
}

function kernelTable(trace: CaseTrace): string {
  if (trace.kernelEvents.length === 0) return '';
  const rows = trace.kernelEvents.map((e) => [formatSeconds(e.t), escapeHtml(e.kind), code(e.tuple), escapeHtml(e.state ?? '')]);
  return details('kernel', escapeHtml(`Kernel events (${rows.length})`), table('kernel', ['t (s)', 'event', 'tuple', 'state'], rows));
}

function wireCheck(trace: CaseTrace): string {
  const w = trace.wire;
  if (w === null) return tag('p', { class: 'wire unknown' }, 'Wire: not checked (the case ended before its hosts were made)');
  const verdict = w.complete
    ? tag('span', { class: 'ok' }, '✓ complete: every frame a host sent was captured and every frame relayed was received')
    : tag('span', { class: 'bad' }, `✗ incomplete: ${escapeHtml(w.problem ?? '')}`);
  const rows = w.ports.map((p) => [
    escapeHtml(p.host),
    String(p.sent),
    String(p.captured),
    String(p.delivered),
    String(p.received),
    String(p.droppedBeforeUp),
    String(p.droppedWhileUp ?? 0),
  ]);
  const body = table('wire', ['host', 'sent', 'captured', 'delivered to it', 'received', 'dropped while its link was not up', 'dropped while its link was up'], rows);
  return details(`wire ${w.complete ? 'complete' : 'incomplete'}`, `Wire check: ${verdict}`, body, !w.complete);
}

/** The ladder, drawn from ladder.svg when its row is opened (html-script.ts). */
function ladderFigure(c: ReportCase): string {
  const svg = c.trace.files.svg;
  if (c.trace.hosts.length < 2 || !svg) return tag('p', { class: 'no-ladder' }, 'No ladder: the case ended before it made its hosts.');
  const href = relHref(...c.dir.split('/'), svg);
  return tag('figure', { class: 'ladder', 'data-src': href }, tag('a', { href }, escapeHtml(`${svg} (drawn here when the case is opened)`)));
}

/** `versions`: what runs each stack, for the heading (a matrix's column names it). */
export function runSection(c: ReportCase, versions: Record<string, string> = {}): string {
  const t = c.trace;
  const stacks = runStacks(c);
  const on = stacks.map((s) => (versions[s] ? `${s} ${versions[s]}` : s)).join(' + ');
  const heading = tag(
    'h3',
    {},
    tag('span', { class: 'status' }, statusMark(t.status)),
    ' ',
    escapeHtml(`${familyLabel(t.family)} on ${on}: ${VERDICT_WORDS[t.status]}`),
    ' ',
    tag('span', { class: 'duration' }, escapeHtml(formatDuration(t.durationMs))),
  );
  const input = t.errorKind === 'input' ? ' · bad input in the case file (not a kernel verdict)' : '';
  const meta = tag('p', { class: 'meta' }, code(t.file), ' · ', escapeHtml(`started ${t.startedAt}${input}`));
  const verdict = t.why ? tag('p', { class: 'verdict' }, escapeHtml(`${t.status === 'known-failure' ? 'Known failure' : 'Not applicable'}: ${t.why}`)) : '';
  const unseen = (t.expectations ?? [])
    .filter((e) => e.outcome === 'not observable')
    .map((e) => tag('p', { class: 'not-observable' }, escapeHtml(`Not observable (${e.matcher} ${e.expected} on ${e.subject}): ${e.reason ?? ''}`)));
  const failure = t.status === 'failed' || t.status === 'known-failure' ? failureHtml(c.message ?? t.error ?? 'failed (no message recorded)') : '';
  return tag(
    'section',
    { class: `run ${t.status}`, id: runAnchor(c), 'data-dir': c.dir, 'data-status': t.status, 'data-stacks': stacks.join(' '), 'data-family': t.family, 'data-segments': t.segments.length },
    heading,
    meta,
    links(c),
    verdict,
    ...unseen,
    failure,
    ladderFigure(c),
    segmentsTable(t),
    statesTable(t),
    callsTable(t),
    kernelTable(t),
    wireCheck(t),
  );
}
