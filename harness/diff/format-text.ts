/**
 * A diff as text, like a unified diff of ladders: per differing case, its
 * segments with " " (same), "-" (A only or A's version), "+" (B only or B's
 * version), then socket states, calls and timers that differ.
 */
import type { BundleCase } from './bundle-schema.js';
import { align } from './align.js';
import type { BundleDiff, CaseDiff, CaseDifference } from './compare.js';
import { segmentKey } from './compare.js';
import type { Difference } from './differences.js';
import { segmentText } from './segment-text.js';

/** Unchanged segments shown around a change; longer unchanged stretches are folded. */
const CONTEXT = 3;

function sideLine(name: string, s: BundleDiff['a']): string {
  return `${name}  ${s.label}: run ${s.run}, ${s.kernel}, ${s.distribution}, profile ${s.profile ?? '(none)'}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line: what differs in a case (segments changed, missing, added; states; calls; timers). */
export function caseSummary(c: CaseDiff): string {
  if (c.verdict === 'only-in-a') return 'only in A';
  if (c.verdict === 'only-in-b') return 'only in B';
  const count = (k: Difference['kind']) => c.differences.filter((d) => d.difference.kind === k).length;
  const parts: string[] = [];
  if (count('status')) parts.push('status');
  const changed = count('segment-changed');
  const missing = count('segment-missing');
  const added = count('segment-added');
  if (changed) parts.push(`${plural(changed, 'segment')} changed`);
  if (missing) parts.push(`${plural(missing, 'segment')} missing in B`);
  if (added) parts.push(`${plural(added, 'segment')} added in B`);
  const states = c.differences.filter((d) => d.difference.kind === 'states').map((d) => (d.difference as { socket: string }).socket);
  if (states.length) parts.push(`states of ${states.join(', ')}`);
  const sockets = count('socket-only-in-a') + count('socket-only-in-b') + count('endpoint');
  if (sockets) parts.push(plural(sockets, 'socket difference'));
  if (count('outcome')) parts.push(plural(count('outcome'), 'call'));
  if (count('timer')) parts.push(plural(count('timer'), 'timer'));
  const accepted = c.differences.filter((d) => d.accepted).length;
  if (accepted === c.differences.length) parts.push('all accepted by the baseline');
  else if (accepted) parts.push(`${accepted} accepted by the baseline`);
  return parts.join(', ');
}

const ACCEPTED = '  (accepted)';

function segmentLines(c: CaseDiff, a: BundleCase, b: BundleCase): string[] {
  const byA = new Map<number, CaseDifference>();
  const byB = new Map<number, CaseDifference>();
  for (const d of c.differences) {
    const x = d.difference;
    if (x.kind === 'segment-changed' || x.kind === 'segment-missing') byA.set(x.a, d);
    if (x.kind === 'segment-added') byB.set(x.b, d);
  }
  if (!byA.size && !byB.size) return [];
  const conns = new Set([...a.segments, ...b.segments].map((s) => s.conn));
  const showConn = conns.size > 1;
  const width = Math.max(...[...a.segments, ...b.segments].map((s) => `${s.from} > ${s.to}`.length));
  const text = (s: BundleCase['segments'][number]) => segmentText(s, showConn, width);

  // every aligned row as one or two lines, flagged when it differs
  const rows: { lines: string[]; differs: boolean }[] = [];
  for (const step of align(a.segments, b.segments, segmentKey)) {
    if (step.a !== null && step.b !== null) {
      const d = byA.get(step.a);
      if (d && d.difference.kind === 'segment-changed') {
        const fields = d.difference.changes.map((ch) => ch.field).join(', ');
        rows.push({ lines: [`- ${text(a.segments[step.a])}`, `+ ${text(b.segments[step.b])}   ≠ ${fields}${d.accepted ? ACCEPTED : ''}`], differs: true });
      } else {
        rows.push({ lines: [`  ${text(a.segments[step.a])}`], differs: false });
      }
    } else if (step.a !== null) {
      rows.push({ lines: [`- ${text(a.segments[step.a])}${byA.get(step.a)?.accepted ? ACCEPTED : ''}`], differs: true });
    } else if (step.b !== null) {
      rows.push({ lines: [`+ ${text(b.segments[step.b])}${byB.get(step.b)?.accepted ? ACCEPTED : ''}`], differs: true });
    }
  }
  const near = rows.map((_, i) => rows.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((r) => r.differs));
  const out: string[] = ['  segments (A → B)'];
  let folded = 0;
  rows.forEach((r, i) => {
    if (!near[i]) {
      folded++;
      return;
    }
    if (folded) out.push(`    ⋮ ${plural(folded, 'segment')} the same`);
    folded = 0;
    out.push(...r.lines.map((l) => `  ${l}`));
  });
  if (folded) out.push(`    ⋮ ${plural(folded, 'segment')} the same`);
  return out;
}

function otherLines(c: CaseDiff): string[] {
  const out: string[] = [];
  for (const { difference: d, accepted } of c.differences) {
    const tag = accepted ? ACCEPTED : '';
    switch (d.kind) {
      case 'status':
        out.push(`  status: ${d.a} → ${d.b}${tag}`);
        if (d.errorA) out.push(`  - ${d.errorA}`);
        if (d.errorB) out.push(`  + ${d.errorB}`);
        break;
      case 'states':
        out.push(`  states of ${d.socket}${tag}`, `  - ${d.a.join(' ') || '(none)'}`, `  + ${d.b.join(' ') || '(none)'}`);
        break;
      case 'socket-only-in-a':
        out.push(`  socket ${d.socket}: only in A${tag}`);
        break;
      case 'socket-only-in-b':
        out.push(`  socket ${d.socket}: only in B${tag}`);
        break;
      case 'endpoint':
        out.push(`  ${d.socket} ${d.field} address: ${d.a ?? '(none)'} → ${d.b ?? '(none)'}${tag}`);
        break;
      case 'outcome':
        out.push(`  call of ${d.socket}${tag}`);
        if (d.a !== null) out.push(`  - ${d.a}`);
        if (d.b !== null) out.push(`  + ${d.b}`);
        break;
      case 'timer':
        out.push(`  timer ${d.name}: ${d.a === null ? '(not measured)' : `${d.a} ms`} → ${d.b === null ? '(not measured)' : `${d.b} ms`}${d.a !== null && d.b !== null ? ` (tolerance ±${d.toleranceMs} ms)` : ''}${tag}`);
        break;
      default:
        break;
    }
  }
  return out;
}

export function formatDiffText(diff: BundleDiff): string {
  const out: string[] = [sideLine('A', diff.a), sideLine('B', diff.b)];
  if (diff.environment.length) out.push('environment (context, not counted):', ...diff.environment.map((e) => `  ${e}`));
  for (const c of diff.cases) {
    if (c.verdict === 'same') continue;
    out.push('', `── ${c.id}: ${caseSummary(c)}`);
    if (c.a && c.b) out.push(...segmentLines(c, c.a, c.b), ...otherLines(c));
  }
  const n = diff.counts;
  out.push(
    '',
    `${plural(n.cases, 'case')}: ${n.same} the same, ${n.different} different, ${n.onlyInA} only in A, ${n.onlyInB} only in B; ` +
      `${plural(n.differences, 'difference')}, ${n.accepted} accepted by the baseline, ${n.new} new`,
  );
  return out.join('\n') + '\n';
}
