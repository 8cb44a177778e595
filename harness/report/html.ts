/**
 * report.html: one page for a run, or for a matrix run over several stacks. The run's
 * facts on top, then its cases grouped by topic, failures first, one row per case with a
 * verdict for each of its runs (IPv4, IPv6; per stack in a matrix). A row opens on its
 * runs (html-case.ts); their ladders are the ladder.svg files beside each case, fetched
 * when the row opens. Filters, search, permalinks and keys: html-script.ts. Inline CSS
 * and script, no network.
 */
import { columnsOf, countVerdict as count, familyLabel, groupCases, stackVersions, tally, VERDICT_WORDS, type CaseRow, type Column, type ReportCase, type TopicGroup, type Verdict } from './case-rows.js';
import { runAnchor, runSection, runStacks } from './html-case.js';
import { failureHtml } from './html-failure.js';
import { REPORT_CSS } from './html-style.js';
import { REPORT_SCRIPT } from './html-script.js';
import { escapeHtml, formatDuration, statusMark, tag } from './html-util.js';
import { matrixFacts, matrixSections, rowDifferences } from './matrix-html.js';
import type { MatrixSummary } from '../runner/matrix.js';

export type { ReportCase } from './case-rows.js';

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
  /** a matrix run: its stacks (the columns, in order), differences from linux, stale known failures */
  matrix?: MatrixSummary;
}

const VERDICTS: Verdict[] = ['failed', 'known-failure', 'passed', 'not-applicable'];

function facts(input: ReportInput, rows: number): string {
  const { run, cases } = input;
  const list: [string, string][] = [
    ['cases', `${rows} cases, ${cases.length} runs (${tally(cases)})`],
    ...(input.matrix ? [] : ([['kernel', run.kernel]] as [string, string][])),
    ['profile', run.profile ?? '(none: the kernel defaults)'],
    ['node', run.node],
    ['started', run.startedAt],
    ['duration', formatDuration(run.durationMs)],
  ];
  return tag(
    'dl',
    { class: 'facts' },
    ...list.flatMap(([k, v]) => [tag('dt', {}, escapeHtml(k)), tag('dd', { 'data-fact': k }, escapeHtml(v))]),
    ...(input.matrix ? matrixFacts(input.matrix) : []),
  );
}

function controls(cases: ReportCase[]): string {
  const boxes = VERDICTS.filter((v) => count(cases, v) > 0 || v === 'failed' || v === 'passed').map((v) =>
    tag('label', { class: `mark ${v}` }, `<input type="checkbox" name="verdict" value="${v}" checked=""/>`, escapeHtml(` ${statusMark(v)} ${VERDICT_WORDS[v]} (${count(cases, v)})`)),
  );
  const stacks = [...new Set(cases.flatMap(runStacks))].sort();
  const stackFilter =
    stacks.length > 1
      ? tag(
          'label',
          {},
          'stack ',
          tag('select', { name: 'stack' }, tag('option', { value: '' }, 'every stack'), ...stacks.map((s) => tag('option', { value: s }, escapeHtml(s)))),
        )
      : '';
  return tag(
    'form',
    { class: 'controls', role: 'search' },
    tag('fieldset', {}, tag('legend', {}, 'show'), ...boxes),
    stackFilter,
    `<input type="search" name="q" placeholder="search case names (/)" aria-label="search case names"/>`,
    tag('output', {}, ''),
  );
}

function columnLabel(col: Column): string {
  return col.stack === null ? familyLabel(col.family) : `${escapeHtml(col.stack)}<br/>${familyLabel(col.family)}`;
}

function cell(row: CaseRow, col: Column): string {
  const run = row.runs.find((r) => (r.stack ?? null) === col.stack && r.trace.family === col.family);
  if (!run) return tag('span', { class: 'cell none' }, '');
  const t = run.trace;
  const where = col.stack === null ? familyLabel(t.family) : `${familyLabel(t.family)} on ${col.stack}`;
  return tag(
    'a',
    {
      class: `cell ${t.status}`,
      href: `#${runAnchor(run)}`,
      'data-status': t.status,
      'data-stacks': runStacks(run).join(' '),
      title: `${where}: ${VERDICT_WORDS[t.status]}, ${formatDuration(t.durationMs)}${t.why ? ` — ${t.why}` : ''}`,
    },
    escapeHtml(statusMark(t.status)),
  );
}

function rowHtml(row: CaseRow, columns: Column[], input: ReportInput, versions: Record<string, string>): string {
  const firstError = row.runs.find((r) => r.trace.status === 'failed')?.trace.error;
  const name = tag('span', { class: 'name' }, escapeHtml(row.name), firstError ? tag('small', {}, escapeHtml(firstError)) : '');
  const summary = tag(
    'summary',
    { class: 'grid', title: row.file },
    tag('span', { class: `mark ${row.status}` }, escapeHtml(statusMark(row.status))),
    name,
    ...columns.map((col) => cell(row, col)),
    tag('a', { class: 'permalink', href: `#${row.id}`, title: 'link to this case' }, '#'),
  );
  const differences = input.matrix ? rowDifferences(input.matrix, row) : [];
  return tag(
    'details',
    { class: `case ${row.status}`, id: row.id, 'data-search': `${row.name}\n${row.file}`.toLowerCase() },
    summary,
    tag('div', { class: 'runs' }, ...differences, ...row.runs.map((r) => runSection(r, versions))),
  );
}

function topicHtml(g: TopicGroup, columns: Column[], input: ReportInput, versions: Record<string, string>): string {
  const runs = g.rows.flatMap((r) => r.runs);
  const failed = g.rows.filter((r) => r.status === 'failed').length;
  const heading = tag('h2', {}, escapeHtml(g.topic.title), ' ', tag('small', {}, escapeHtml(`${g.rows.length} case${g.rows.length === 1 ? '' : 's'}${failed ? `, ${failed} failing` : ''} · ${tally(runs)}`)));
  const head = tag('div', { class: 'columns grid', 'aria-hidden': 'true' }, '<span></span><span></span>', ...columns.map((c) => tag('span', {}, columnLabel(c))), '<span></span>');
  return tag('section', { class: 'topic', id: `topic-${g.topic.key}` }, heading, head, ...g.rows.map((r) => rowHtml(r, columns, input, versions)));
}

function problemSection(p: ReportProblem): string {
  return tag('section', { class: 'problem' }, tag('h2', {}, escapeHtml(`✗ ${p.title}`)), failureHtml(p.message));
}

export function renderReportHtml(input: ReportInput): string {
  const { cases } = input;
  const columns = columnsOf(cases, input.matrix?.stacks.map((s) => s.name));
  const groups = groupCases(cases, columns);
  const rows = groups.reduce((n, g) => n + g.rows.length, 0);
  const problems = input.problems ?? [];
  const failed = count(cases, 'failed') + problems.length;
  const verdict = failed ? `${failed} failed` : cases.length ? (input.matrix ? 'no new failure' : 'all passed') : 'no case ran';
  const kind = input.matrix ? 'matrix' : 'run';
  const title = `tcpladder ${kind} ${input.run.run}: ${verdict}`;
  const header = tag(
    'header',
    { class: `run ${failed ? 'failed' : 'passed'}` },
    tag('h1', {}, escapeHtml(`tcpladder ${kind} ${input.run.run}: `), tag('span', { class: 'verdict' }, escapeHtml(verdict))),
    facts(input, rows),
  );
  const versions = stackVersions(cases);
  const body = [
    header,
    controls(cases),
    tag('p', { class: 'legend' }, escapeHtml('✓ passed · ✗ failed · ≈ known failure (listed with why in cases/stacks/<stack>.json) · - not applicable. '), 'Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous case, <kbd>Enter</kbd> open, <kbd>/</kbd> search.'),
    tag(
      'main',
      { style: `--cols: ${columns.length}` },
      ...problems.map(problemSection),
      ...groups.map((g) => topicHtml(g, columns, input, versions)),
      ...(input.matrix ? matrixSections(input.matrix) : []),
    ),
    tag('footer', {}, 'Hover an arrow of a ladder for the full segment; a band along a lifeline is a running timer (TIME_WAIT: 2MSL). Files are relative to this report.'),
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
    tag('body', {}, ...body, `<script>${REPORT_SCRIPT}</script>`),
    '</html>',
    '',
  ].join('\n');
}
