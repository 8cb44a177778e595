/**
 * A case's own files beside its pcap: trace.json, and the ladder as text, SVG and Mermaid.
 * The drawings shorten bulk runs (ladder-bulk.ts): thousands of arrows nobody reads cost
 * a bulk case's worker tens of MiB to draw; trace.json and the pcap keep every segment.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseTrace } from '../trace/types.js';
import { ladderFromTrace } from './from-trace.js';
import { renderLadderText } from './ladder-text.js';
import { renderLadderSvg } from './ladder-svg.js';
import { renderLadderMermaid } from './ladder-mermaid.js';
import { shortenBulkRuns } from './ladder-bulk.js';

export function writeCaseFiles(dir: string, trace: CaseTrace): void {
  writeFileSync(join(dir, 'trace.json'), JSON.stringify(trace, null, 1) + '\n');
  if (trace.hosts.length < 2) return; // failed before its hosts were made: nothing to draw
  const ladder = ladderFromTrace(trace);
  const shortened = shortenBulkRuns(ladder);
  writeFileSync(join(dir, 'ladder.txt'), renderLadderText(shortened));
  writeFileSync(join(dir, 'ladder.svg'), renderLadderSvg(shortened));
  // a sequenceDiagram GitHub and GitLab draw where they show Markdown
  writeFileSync(join(dir, 'ladder.mmd'), renderLadderMermaid(ladder));
}
