/**
 * report.html: one self-contained page for a run (inline CSS and SVG, no scripts,
 * fonts or network). The run's facts and counts on top, failing cases first, then
 * one section per case with its ladder and tables (see html-case.ts).
 */
import { caseAnchor, caseSection, caseTitle, type ReportCase } from './html-case.js';
import { failureHtml } from './html-failure.js';
import { statusMark } from './html-util.js';
import { REPORT_CSS } from './html-style.js';
import { escapeHtml, formatDuration, tag } from './html-util.js';

export type { ReportCase } from './html-case.js';

export interface ReportRun {
  run: string;
  startedAt: string;
  durationMs: number;
  /** os.release() and os.version() of the machine that ran the cases */
  kernel: string;
  node: string;
  /** sysctl profile the run used (TCPLADDER_PROFILE), if any */
  profile?: string;
}

/** Something that failed without leaving a case trace: a case file that did not load, say. */
export interface ReportProblem {
  title: string;
  message: string;
}

export interface ReportInput {
  run: ReportRun;
  cases: ReportCase[];
  problems?: ReportProblem[];
}

/** Failing cases first; otherwise the order given. */
export function orderCases(cases: ReportCase[]): ReportCase[] {
  const failed = (c: ReportCase) => (c.trace.status === 'failed' ? 0 : 1);
  return cases.map((c, i) => [c, i] as const).sort((a, b) => failed(a[0]) - failed(b[0]) || a[1] - b[1]).map(([c]) => c);
}

function facts(run: ReportRun, cases: ReportCase[]): string {
  const count = (s: string) => cases.filter((c) => c.trace.status === s).length;
  const others = [
    ...(count('known-failure') ? [`${count('known-failure')} known failures`] : []),
    ...(count('not-applicable') ? [`${count('not-applicable')} not applicable`] : []),
  ];
  const rows: [string, string][] = [
    ['cases', `${cases.length} (${[`${count('passed')} passed`, `${count('failed')} failed`, ...others].join(', ')})`],
    ['kernel', run.kernel],
    ['profile', run.profile ?? '(none: the kernel defaults)'],
    ['node', run.node],
    ['started', run.startedAt],
    ['duration', formatDuration(run.durationMs)],
  ];
  return tag('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [tag('dt', {}, escapeHtml(k)), tag('dd', { 'data-fact': k }, escapeHtml(v))]));
}

function nav(cases: ReportCase[]): string {
  if (cases.length < 2) return '';
  const items = cases.map((c) =>
    tag(
      'li',
      { class: c.trace.status },
      tag('a', { href: `#${caseAnchor(c)}` }, escapeHtml(`${statusMark(c.trace.status)} ${caseTitle(c.trace)}`)),
    ),
  );
  return tag('nav', { class: 'cases' }, tag('ol', {}, ...items));
}

function problemSection(p: ReportProblem): string {
  return tag('section', { class: 'problem' }, tag('h2', {}, escapeHtml(`✗ ${p.title}`)), failureHtml(p.message));
}

export function renderReportHtml(input: ReportInput): string {
  const cases = orderCases(input.cases);
  const problems = input.problems ?? [];
  const failed = cases.filter((c) => c.trace.status === 'failed').length + problems.length;
  const verdict = failed ? `${failed} failed` : cases.length ? 'all passed' : 'no case ran';
  const title = `tcpladder run ${input.run.run}: ${verdict}`;
  const header = tag(
    'header',
    { class: `run ${failed ? 'failed' : 'passed'}` },
    tag('h1', {}, escapeHtml(`tcpladder run ${input.run.run}: `), tag('span', { class: 'verdict' }, escapeHtml(verdict))),
    facts(input.run, cases),
  );
  const body = [
    header,
    nav(cases),
    tag('main', {}, ...problems.map(problemSection), ...cases.map((c, i) => caseSection(c, i + 1))),
    tag('footer', {}, 'Hover an arrow for the full segment; a band along a lifeline is a running timer (TIME_WAIT: 2MSL). Files are relative to this report.'),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    tag('body', {}, ...body),
    '</html>',
    '',
  ].join('\n');
}
