/**
 * summary.md: a run's results as GitHub and GitLab show Markdown (a job summary, a pull
 * request comment). The totals; a table per topic with each case's verdicts (per stack in
 * a matrix), topics without a failure folded; then each failure with where it failed, its
 * expected/observed table and its ladder as a Mermaid sequenceDiagram.
 *
 * GitHub takes at most 1 MiB per step summary. The page is built from blocks and a block
 * is either whole or left out: when they do not all fit, the ladders go first, then whole
 * failures (last ones first), and the page ends by saying what was left out.
 */
import type { MatrixSummary } from '../runner/matrix.js';
import { columnsOf, countVerdict, familyLabel, groupCases, stackVersions, tally, type CaseRow, type Column, type ReportCase, type TopicGroup } from './case-rows.js';
import { ladderFromTrace } from './from-trace.js';
import { failureLocation, formatLocation } from './failure-location.js';
import { failureBody } from './html-failure.js';
import { runStacks } from './html-case.js';
import { formatDuration, statusMark } from './html-util.js';
import { renderLadderMermaid } from './ladder-mermaid.js';
import type { ReportInput } from './html.js';

/** GitHub's limit for one step's summary ($GITHUB_STEP_SUMMARY), in bytes. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** What summary.md stays within by default: GitHub's limit, less room for a few lines of other steps' output. */
export const SUMMARY_MD_BYTES = 1_000_000;

export interface SummaryMdOptions {
  /** the run folder as the reader knows it, e.g. captures/abc12 */
  where?: string;
  /** the most bytes the page may have (default SUMMARY_MD_BYTES) */
  maxBytes?: number;
}

interface Block {
  text: string;
  /** lower is kept first */
  priority: number;
  /** what it is, for the note on what was left out */
  what: 'table' | 'failure' | 'ladder' | 'list' | 'heading';
  /** a ladder goes with its failure: kept only if that is */
  needs?: Block;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Text for Markdown: no HTML, no emphasis or links, one line. */
export function mdText(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}

/** A fenced block its text cannot close early: the fence is longer than any run of backticks in it. */
export function fenced(info: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text.replace(/\n+$/, '')}\n${fence}\n`;
}

function columnHead(col: Column): string {
  return col.stack === null ? familyLabel(col.family) : `${col.stack} ${familyLabel(col.family)}`;
}

function topicTable(g: TopicGroup, columns: Column[]): string {
  const head = `| | case | ${columns.map(columnHead).join(' | ')} |\n|:-:|---|${columns.map(() => ':-:|').join('')}\n`;
  const rows = g.rows.map((row) => {
    const cells = columns.map((col) => {
      const run = row.runs.find((r) => (r.stack ?? null) === col.stack && r.trace.family === col.family);
      return run ? statusMark(run.trace.status) : '';
    });
    const name = row.status === 'failed' ? `**${mdText(row.name)}**` : mdText(row.name);
    return `| ${statusMark(row.status)} | ${name} | ${cells.join(' | ')} |`;
  });
  const failing = g.rows.filter((r) => r.status === 'failed').length;
  const title = `${g.topic.title}: ${g.rows.length} case${g.rows.length === 1 ? '' : 's'}, ${failing ? `${failing} failing` : 'none failing'} (${tally(g.rows.flatMap((r) => r.runs))})`;
  const table = head + rows.join('\n') + '\n';
  // a topic without a failure is folded: the reader looks for what failed
  return failing ? `### ${mdText(title)}\n\n${table}\n` : `<details><summary>${mdText(title)}</summary>\n\n${table}\n</details>\n\n`;
}

function failureBlocks(row: CaseRow, run: ReportCase, where: string | undefined, versions: Record<string, string>): [Block, Block | null] {
  const t = run.trace;
  const place = formatLocation(failureLocation(t, run.message));
  const stacks = runStacks(run).map((s) => (versions[s] ? `${s} ${versions[s]}` : s)).join(' + ');
  const folder = where ? `${where}/${run.dir}/` : `${run.dir}/`;
  const input = t.errorKind === 'input' ? ' · bad input in the case file, not a kernel verdict' : '';
  const text =
    `### ✗ ${mdText(`${row.name} [${familyLabel(t.family)}]`)}${run.stack ? ` on ${mdText(run.stack)}` : ''}\n\n` +
    `\`${place.replace(/`/g, "'")}\` · ${mdText(stacks)} · ${formatDuration(t.durationMs)} · files in \`${folder.replace(/`/g, "'")}\`${input}\n\n` +
    fenced('text', failureBody(run.message ?? t.error ?? 'failed (no message recorded)')) +
    '\n';
  const failure: Block = { text, priority: 2, what: 'failure' };
  if (t.hosts.length < 2) return [failure, null];
  const ladder = `${fenced('mermaid', renderLadderMermaid(ladderFromTrace(t)))}\n`;
  return [failure, { text: ladder, priority: 3, what: 'ladder', needs: failure }];
}

function matrixLines(m: MatrixSummary): string {
  const head = '| stack | what runs it | passed | failed | known failures | not applicable |\n|---|---|--:|--:|--:|--:|\n';
  const rows = m.stacks.map((s) => `| ${mdText(s.name)} | ${mdText(s.version)} | ${s.passed} | ${s.failed} | ${s.knownFailures} | ${s.notApplicable} |`).join('\n');
  const diffs = m.differences.map((d) => `- ${mdText(d.stack)} against linux: ${d.file ? `${Object.keys(d.cases).length} cases differ (${mdText(d.file)})` : `not compared: ${mdText(d.error ?? 'no bundle')}`}`);
  const stale = m.stale.map((k) => `- stale in cases/stacks/${mdText(k.stack)}.json: ${mdText(k.case)}${k.family ? ` \\[${k.family}\\]` : ''}: ${mdText(`${k.matcher} ${k.expected}`)} no longer fails`);
  return `${head}${rows}\n\n${[...diffs, ...stale].join('\n')}${diffs.length + stale.length ? '\n\n' : ''}`;
}

export function renderSummaryMarkdown(input: ReportInput, options: SummaryMdOptions = {}): string {
  const { cases, matrix } = input;
  const problems = input.problems ?? [];
  const columns = columnsOf(cases, matrix?.stacks.map((s) => s.name));
  const groups = groupCases(cases, columns);
  const rows = groups.flatMap((g) => g.rows);
  const failed = countVerdict(cases, 'failed') + problems.length;
  const verdict = failed ? `${failed} failed` : cases.length ? (matrix ? 'no new failure' : 'all passed') : 'no case ran';
  const kind = matrix ? 'matrix' : 'run';
  const facts = [
    `${rows.length} cases, ${cases.length} runs: ${tally(cases)}`,
    ...(matrix ? [] : [`kernel ${input.run.kernel.split(' ')[0]}`]),
    ...(input.run.profile ? [`profile ${input.run.profile}`] : []),
    formatDuration(input.run.durationMs),
  ];
  const files = options.where ? `Everything (report.html, summary.json, per case wire.pcap, trace.json and ladders) is in \`${options.where}/\`.\n\n` : '';
  const head = `## ${failed ? '✗' : '✓'} tcpladder ${kind} ${mdText(input.run.run)}: ${verdict}\n\n${mdText(facts.join(' · '))}\n\n${files}${matrix ? matrixLines(matrix) : ''}`;

  const blocks: Block[] = [];
  if (problems.length) {
    blocks.push({ text: `### ✗ Case files that did not run\n\n${problems.map((p) => `**${mdText(p.title)}**\n\n${fenced('text', p.message)}`).join('\n')}\n`, priority: 1, what: 'failure' });
  }
  for (const g of groups) blocks.push({ text: topicTable(g, columns), priority: 1, what: 'table' });
  const versions = stackVersions(cases);
  const failures: Block[] = [];
  for (const row of rows) {
    for (const run of row.runs) {
      if (run.trace.status !== 'failed') continue;
      const [failure, ladder] = failureBlocks(row, run, options.where, versions);
      failures.push(failure);
      if (ladder) failures.push(ladder);
    }
  }
  if (failures.length) blocks.push({ text: '## Failures\n\n', priority: 0, what: 'heading' }, ...failures);
  const known = cases.filter((c) => c.trace.status === 'known-failure');
  if (known.length) {
    const list = known.map((c) => `- ≈ ${mdText(`${c.trace.case} [${familyLabel(c.trace.family)}]`)} on ${mdText(runStacks(c).join(' + '))}: ${mdText(c.trace.why ?? '')}`).join('\n');
    blocks.push({ text: `<details><summary>Known failures (${known.length}): listed with why in cases/stacks/&lt;stack&gt;.json</summary>\n\n${list}\n\n</details>\n\n`, priority: 4, what: 'list' });
  }
  return head + fit(blocks, (options.maxBytes ?? SUMMARY_MD_BYTES) - bytes(head), options.where);
}

/** The blocks that fit, in their order, kept by priority (and, within one, first come first); then what was left out. */
function fit(blocks: Block[], room: number, where: string | undefined): string {
  const noteRoom = 600;
  const kept = new Set<Block>();
  let used = 0;
  // once a block does not fit, nothing less important goes in (a ladder never stands where a failure did not)
  let full = Infinity;
  for (const b of [...blocks].sort((a, b) => a.priority - b.priority)) {
    if (b.priority > full || (b.needs && !kept.has(b.needs))) continue;
    const size = bytes(b.text);
    if (used + size > room - noteRoom) {
      full = b.priority;
      continue;
    }
    kept.add(b);
    used += size;
  }
  const leftOut = blocks.filter((b) => !kept.has(b));
  // a heading whose failures are all left out goes too
  const shown = blocks.filter((b) => kept.has(b) && !(b.what === 'heading' && !blocks.some((f) => f.what === 'failure' && kept.has(f))));
  const count = (what: Block['what'], alone = false) => leftOut.filter((b) => b.what === what && (!alone || (b.needs !== undefined && kept.has(b.needs)))).length;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const parts = [
    count('failure') ? `${n(count('failure'), 'failure')} (with their ladders)` : '',
    count('ladder', true) ? `the ladders of ${n(count('ladder', true), 'failure')}` : '',
    count('table') ? n(count('table'), 'topic table') : '',
    count('list') ? 'the list of known failures' : '',
  ].filter(Boolean);
  const out = shown.map((b) => b.text);
  if (parts.length) {
    const elsewhere = where ? `report.html and summary.json in \`${where}/\`` : 'report.html and summary.json';
    out.push(`---\n\n**Left out to stay within GitHub's ${STEP_SUMMARY_LIMIT / 1024} KiB for a summary:** ${parts.join(', ')}. ${elsewhere} have everything.\n`);
  }
  return out.join('');
}
