/**
 * The HTML report's view of a diff: per differing case, the two ladders side by
 * side (A left, B right) with the differing rows annotated, then the differences
 * as a list. A fragment with inline styles only, to embed in any page.
 */
import { renderLadderSvg } from '../report/index.js';
import type { BundleDiff, CaseDiff } from './compare.js';
import type { Difference } from './differences.js';
import { ladderFromBundleCase, type LadderHighlights } from './ladder.js';
import { formatDiffText } from './format-text.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function highlights(c: CaseDiff, side: 'a' | 'b'): LadderHighlights {
  const segments = new Map<number, string>();
  const sockets = new Map<string, string>();
  const notes: string[] = [];
  for (const { difference: d, accepted } of c.differences) {
    const tag = accepted ? ' (accepted)' : '';
    if (d.kind === 'segment-changed') segments.set(side === 'a' ? d.a : d.b, `≠ ${d.changes.map((ch) => ch.field).join(', ')}${tag}`);
    else if (d.kind === 'segment-missing' && side === 'a') segments.set(d.a, `only in A${tag}`);
    else if (d.kind === 'segment-added' && side === 'b') segments.set(d.b, `only in B${tag}`);
    else if (d.kind === 'states') sockets.set(d.socket, `≠ states${tag}`);
    else if (d.kind === 'outcome') {
      const call = side === 'a' ? d.a : d.b;
      notes.push(`${d.socket} ${call ?? '(no such call)'}${tag}`);
    } else if (d.kind === 'timer') {
      const v = side === 'a' ? d.a : d.b;
      notes.push(`timer ${d.name}: ${v === null ? 'not measured' : `${v} ms`}${tag}`);
    } else if (d.kind === 'status') {
      notes.push(`status ${side === 'a' ? d.a : d.b}${tag}`);
    }
  }
  return { segments, sockets, notes };
}

function differenceText(d: Difference): string {
  switch (d.kind) {
    case 'segment-changed':
      return `segment A#${d.a} / B#${d.b}: ${d.changes.map((c) => `${c.field} ${c.a ?? '(none)'} → ${c.b ?? '(none)'}`).join('; ')}`;
    case 'segment-missing':
      return `segment A#${d.a} (${d.segment.from} > ${d.segment.to} ${d.segment.flags}) has no counterpart in B`;
    case 'segment-added':
      return `segment B#${d.b} (${d.segment.from} > ${d.segment.to} ${d.segment.flags}) has no counterpart in A`;
    case 'states':
      return `states of ${d.socket}: ${d.a.join(' ')} → ${d.b.join(' ')}`;
    case 'outcome':
      return `call of ${d.socket}: ${d.a ?? '(none)'} → ${d.b ?? '(none)'}`;
    case 'timer':
      return `timer ${d.name}: ${d.a ?? '-'} ms → ${d.b ?? '-'} ms (tolerance ±${d.toleranceMs} ms)`;
    case 'status':
      return `status ${d.a} → ${d.b}`;
    case 'endpoint':
      return `${d.socket} ${d.field}: ${d.a} → ${d.b}`;
    case 'socket-only-in-a':
    case 'socket-only-in-b':
      return `socket ${d.socket} ${d.kind === 'socket-only-in-a' ? 'only in A' : 'only in B'}`;
    default:
      return d.kind === 'case-only-in-a' ? 'case only in A' : 'case only in B';
  }
}

const BOX = 'margin:0;flex:1 1 0;min-width:0;border:1px solid #ddd;padding:4px';

/**
 * A normalised ladder drawn to fit its half of the page. Its rows are numbered, not
 * timed (a bundle has no times): renderLadderSvg writes a row's t as seconds
 * ("3.000"), so those margin labels become "#3". (Should report grow an option to
 * label rows itself, this goes.)
 */
function fittedLadderSvg(svg: string): string {
  return svg
    .replace(/^<svg /, '<svg style="width:100%;height:auto" ')
    .replace(/(<text class="time"[^>]*>)(\d+)\.000(<\/text>)/g, '$1#$2$3');
}

/** One case: two ladders side by side (or the one side that has it), then the list of differences. */
export function renderCaseSideBySide(diff: BundleDiff, c: CaseDiff, index = 0): string {
  const figure = (side: 'a' | 'b') => {
    const bc = c[side];
    const who = diff[side];
    const caption = `${side.toUpperCase()}: ${who.label} — ${who.kernel.split(' ')[0]}, profile ${who.profile ?? '(none)'}`;
    const body = !bc
      ? `<p>not in ${side.toUpperCase()}</p>`
      : bc.hosts.length < 2
        ? `<p>no ladder: the case ended before it made its hosts (${escapeHtml(bc.status)})</p>`
        : fittedLadderSvg(renderLadderSvg(ladderFromBundleCase(bc, `${side.toUpperCase()}: ${c.id}`, highlights(c, side)), { idPrefix: `tcpl-diff-${index}-${side}` }));
    return `<figure style="${BOX}"><figcaption style="font:12px monospace;color:#444">${escapeHtml(caption)}</figcaption>\n${body}</figure>`;
  };
  const items = c.differences.map(({ difference, accepted }) => `<li${accepted ? ' style="color:#888"' : ''}>${escapeHtml(differenceText(difference))}${accepted ? ' (accepted by the baseline)' : ''}</li>`);
  return [
    `<section class="tcpl-diff-case" data-case="${escapeHtml(c.id)}" data-verdict="${c.verdict}">`,
    `<h3 style="font:bold 14px sans-serif">${escapeHtml(c.id)}</h3>`,
    `<div style="display:flex;gap:12px;align-items:flex-start;overflow-x:auto">`,
    figure('a'),
    figure('b'),
    `</div>`,
    items.length ? `<ul style="font:12px monospace">\n${items.join('\n')}\n</ul>` : '',
    `</section>`,
  ].join('\n');
}

/** Every case that differs, side by side, under the summary line of the text diff. */
export function renderDiffHtml(diff: BundleDiff): string {
  const summary = formatDiffText({ ...diff, cases: [] }).trim().split('\n');
  const n = diff.counts;
  const head = `<p style="font:12px monospace">${summary.slice(0, -1).map(escapeHtml).join('<br>')}<br>${escapeHtml(
    `${n.cases} cases: ${n.same} the same, ${n.different} different, ${n.onlyInA} only in A, ${n.onlyInB} only in B; ${n.differences} differences, ${n.accepted} accepted, ${n.new} new`,
  )}</p>`;
  const cases = diff.cases.map((c, i) => (c.verdict === 'same' ? '' : renderCaseSideBySide(diff, c, i))).filter(Boolean);
  return `<div class="tcpl-diff">\n${head}\n${cases.join('\n')}\n</div>\n`;
}
