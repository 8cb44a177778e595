/**
 * What report.html adds for a matrix run (`tcpladder run --stacks …`): each stack with what
 * runs it and its counts, each guest stack's first difference from linux in a case's row,
 * and the differences, stale known failures and stack-pinning cases below the cases.
 */
import type { MatrixSummary } from '../runner/matrix.js';
import type { CaseRow } from './case-rows.js';
import { escapeHtml, tag } from './html-util.js';

/** <dt>/<dd> pairs: a stack per pair, with its own run's report. */
export function matrixFacts(m: MatrixSummary): string[] {
  return m.stacks.flatMap((s) => [
    tag('dt', {}, escapeHtml(s.name)),
    tag(
      'dd',
      { 'data-fact': `stack ${s.name}` },
      escapeHtml(`${s.version}: ${s.passed} passed, ${s.failed} failed, ${s.knownFailures} known failures, ${s.notApplicable} not applicable — `),
      tag('a', { href: `${s.dir}/report.html` }, 'its own report'),
    ),
  ]);
}

/** The first difference from linux of each of the row's runs on a guest stack. */
export function rowDifferences(m: MatrixSummary, row: CaseRow): string[] {
  const out: string[] = [];
  for (const r of row.runs) {
    if (!r.stack || r.stack === 'linux') continue;
    const d = m.differences.find((x) => x.stack === r.stack)?.cases[`${row.name} [${r.trace.family}]`];
    if (!d) continue;
    const more = `${d.differences} in all${d.accepted ? `, ${d.accepted} accepted` : ''}`;
    out.push(tag('p', { class: 'difference' }, escapeHtml(`${r.stack} vs linux [${r.trace.family}]: first difference: ${d.first} (${more})`)));
  }
  return out;
}

export function matrixSections(m: MatrixSummary): string[] {
  const diffs = m.differences.map((d) =>
    tag(
      'li',
      {},
      escapeHtml(`${d.stack} against linux: ${Object.keys(d.cases).length} cases differ `),
      d.file ? tag('a', { href: d.file }, 'side by side') : escapeHtml(`(not compared: ${d.error ?? 'no bundle'})`),
    ),
  );
  const stale = m.stale.map((k) =>
    tag('li', {}, escapeHtml(`cases/stacks/${k.stack}.json: ${k.case}${k.family ? ` [${k.family}]` : ''} — ${k.matcher} ${k.expected}: no longer fails (${k.why})`)),
  );
  return [
    diffs.length ? tag('section', { class: 'matrix-notes' }, tag('h2', {}, 'Differences from linux (shown, not judged)'), tag('ul', {}, ...diffs)) : '',
    stale.length ? tag('section', { class: 'matrix-notes' }, tag('h2', {}, 'Stale known failures'), tag('ul', {}, ...stale)) : '',
    m.pinned.length ? tag('section', { class: 'matrix-notes' }, tag('h2', {}, 'Cases that pin a stack'), tag('p', {}, escapeHtml(`Their pinned hosts run the same stack in every column: ${m.pinned.join('; ')}`))) : '',
  ];
}
