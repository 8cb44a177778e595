/** report: ladder diagrams of a connection (terminal text, SVG, Mermaid), report.html and summary.md of a run. */
export type {
  Ladder,
  LadderColumn,
  LadderNote,
  LadderRow,
  LadderSegment,
  LadderState,
  SegmentMark,
} from './model.js';
export { renderLadderText, writeLadderText, type LadderTextOptions } from './ladder-text.js';
export { renderLadderSvg, type LadderSvgOptions } from './ladder-svg.js';
export { renderLadderMermaid, MERMAID_MAX_CHARS } from './ladder-mermaid.js';
export { ladderFromTrace } from './from-trace.js';
export { shortenBulkRuns, BULK_RUN } from './ladder-bulk.js';
export { segmentLabel, stateLabel, formatTime } from './ladder-label.js';
export { renderReportHtml, type ReportInput, type ReportRun, type ReportProblem } from './html.js';
export { groupCases, columnsOf, worst, familyLabel, type ReportCase, type CaseRow, type Column, type TopicGroup, type Verdict } from './case-rows.js';
export { topicOf, type Topic } from './topics.js';
export { escapeXml } from './ladder-svg.js';
export { escapeHtml, stripAnsi, formatDuration } from './html-util.js';
export { writeCaseFiles } from './case-files.js';
export { renderSummaryMarkdown, STEP_SUMMARY_LIMIT, SUMMARY_MD_BYTES, type SummaryMdOptions } from './summary-md.js';
export { failureLocation, formatLocation, leadingPlace, type FailureLocation } from './failure-location.js';
export { failureBody } from './html-failure.js';
