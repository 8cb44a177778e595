/**
 * report.html of a matrix run: a case per row, a stack per column, a verdict per cell
 * (linking to that stack's report), and under each case its ladders side by side with the
 * first difference from linux named. Ladders load only when a case is opened.
 */
import type { MatrixSummary } from '../runner/matrix.js';
import { REPORT_CSS } from './html-style.js';
import { escapeHtml, formatDuration, statusMark, tag } from './html-util.js';

const MATRIX_CSS = `
table.matrix { border-collapse: collapse; margin: 1em 0; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }
td.passed { background: #e8f6e8; } td.failed { background: #fbe3e3; } td.known-failure { background: #fff4d6; } td.not-applicable { background: #eee; }
.sides { display: flex; gap: 1em; overflow-x: auto; } .sides figure { margin: 0; } .sides img { max-width: 640px; }
.first { color: #a33; } .stale { color: #a60; }
`;

function cellFor(m: MatrixSummary, row: MatrixSummary['cases'][number], stack: MatrixSummary['stacks'][number]): string {
  const v = row.verdicts[stack.name];
  if (!v) return tag('td', { class: 'missing' }, '?');
  const anchor = `#case-${v.dir.slice(v.dir.indexOf('/') + 1).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const title = [v.status, v.why ?? v.error ?? '', v.stacks.join(', ')].filter(Boolean).join(' — ');
  return tag('td', { class: v.status, title }, tag('a', { href: `${stack.dir}/report.html${anchor}` }, escapeHtml(`${statusMark(v.status)} ${formatDuration(v.durationMs)}`)));
}

function details(m: MatrixSummary, row: MatrixSummary['cases'][number], id: string): string {
  const notes: string[] = [];
  for (const s of m.stacks) {
    const v = row.verdicts[s.name];
    if (v?.why) notes.push(tag('p', {}, escapeHtml(`${s.name}: ${v.status === 'known-failure' ? 'known failure' : v.status}: ${v.why}`)));
    else if (v?.status === 'failed') notes.push(tag('p', { class: 'first' }, escapeHtml(`${s.name}: ${v.error ?? 'failed'}`)));
    const d = m.differences.find((x) => x.stack === s.name)?.cases[id];
    if (d) notes.push(tag('p', { class: 'first' }, escapeHtml(`${s.name} vs linux: first difference: ${d.first} (${d.differences} in all${d.accepted ? `, ${d.accepted} accepted` : ''})`)));
  }
  // the browser fetches a ladder only when the case is opened (details → loading="lazy")
  const ladders = m.stacks
    .filter((s) => row.verdicts[s.name])
    .map((s) => tag('figure', {}, tag('figcaption', {}, escapeHtml(`${s.name} ${s.version}`)), `<img loading="lazy" alt="ladder on ${escapeHtml(s.name)}" src="${escapeHtml(`${row.verdicts[s.name]!.dir}/ladder.svg`)}"/>`));
  return tag('details', {}, tag('summary', {}, 'ladders side by side'), ...notes, tag('div', { class: 'sides' }, ...ladders));
}

export function renderMatrixHtml(m: MatrixSummary): string {
  const failed = m.stacks.reduce((n, s) => n + s.failed, 0) + m.problems.length;
  const verdict = failed ? `${failed} failed` : 'no new failure';
  const head = tag('tr', {}, tag('th', {}, 'case'), ...m.stacks.map((s) => tag('th', {}, escapeHtml(s.name), tag('br', {}), tag('small', {}, escapeHtml(s.version)))));
  const rows = m.cases.map((row) => {
    const id = `${row.case} [${row.family}]`;
    return tag('tr', { id: `m-${id.replace(/[^A-Za-z0-9_-]/g, '_')}` }, tag('td', {}, escapeHtml(`${row.case} [${row.family === 'ipv6' ? 'IPv6' : 'IPv4'}]`), details(m, row, id)), ...m.stacks.map((s) => cellFor(m, row, s)));
  });
  const totals = m.stacks.map((s) =>
    tag('li', {}, escapeHtml(`${s.name} (${s.version}): ${s.passed} passed, ${s.failed} failed, ${s.knownFailures} known failures, ${s.notApplicable} not applicable — `), tag('a', { href: `${s.dir}/report.html` }, 'its report')),
  );
  const diffs = m.differences.map((d) =>
    tag('li', {}, escapeHtml(`${d.stack} against linux: ${Object.keys(d.cases).length} cases differ `), d.file ? tag('a', { href: d.file }, 'side by side') : escapeHtml(`(not compared: ${d.error})`)),
  );
  const stale = m.stale.map((k) => tag('li', { class: 'stale' }, escapeHtml(`cases/stacks/${k.stack}.json: ${k.case}${k.family ? ` [${k.family}]` : ''} — ${k.matcher} ${k.expected}: no longer fails (${k.why})`)));
  const body = [
    tag('header', { class: `run ${failed ? 'failed' : 'passed'}` }, tag('h1', {}, escapeHtml(`tcpladder matrix ${m.run}: `), tag('span', { class: 'verdict' }, escapeHtml(verdict)))),
    tag('ul', {}, ...totals),
    m.pinned.length ? tag('p', {}, escapeHtml(`Cases that pin a stack for a host run it in every column: ${m.pinned.join('; ')}`)) : '',
    tag('p', {}, '✓ passed · ✗ failed · ≈ known failure (listed with why in cases/stacks/<stack>.json) · - not applicable'),
    tag('table', { class: 'matrix' }, tag('thead', {}, head), tag('tbody', {}, ...rows)),
    diffs.length ? tag('section', {}, tag('h2', {}, 'Differences from linux (shown, not judged)'), tag('ul', {}, ...diffs)) : '',
    stale.length ? tag('section', {}, tag('h2', {}, 'Stale known failures'), tag('ul', {}, ...stale)) : '',
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>${escapeHtml(`tcpladder matrix ${m.run}: ${verdict}`)}</title>`,
    `<style>${REPORT_CSS}${MATRIX_CSS}</style>`,
    '</head>',
    `<body>${body.join('\n')}</body>`,
    '</html>',
    '',
  ].join('\n');
}
