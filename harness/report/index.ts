/** report: ladder diagrams of a connection, as terminal text, SVG and Mermaid. */
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
export { renderLadderMermaid, MERMAID_BULK_RUN, MERMAID_MAX_CHARS } from './ladder-mermaid.js';
export { ladderFromTrace } from './from-trace.js';
export { segmentLabel, stateLabel, formatTime } from './ladder-label.js';
export { renderReportHtml, orderCases, type ReportInput, type ReportRun, type ReportCase, type ReportProblem } from './html.js';
export { escapeXml } from './ladder-svg.js';
export { escapeHtml, stripAnsi, formatDuration } from './html-util.js';
export { writeCaseFiles } from './case-files.js';
export { renderMatrixHtml } from './matrix-html.js';
