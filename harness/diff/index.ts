/**
 * diff: run results as portable, normalised bundles (bundle.json), and the
 * comparison of two bundles case by case — as text, as JSON, and as an HTML
 * fragment with the two ladders side by side.
 */
export { Bundle, BundleCase, BundleSegment, BundleSocket, BundleHost, BUNDLE_FORMAT, BUNDLE_VERSION } from './bundle-schema.js';
export { normaliseCase, caseId } from './normalise-case.js';
export { normaliseSegments } from './normalise-segments.js';
export { measureTimers, TIMER_MIN_MS } from './timers.js';
export { buildBundle, hostSysctls, type BundleMeta } from './build-bundle.js';
export { writeBundle, readRunTraces, bundleText, BUNDLE_FILE } from './write-bundle.js';
export { readBundle, parseBundle, bundlePath, readJsonFile } from './read-bundle.js';
export { systemInfo, toolInfo, parseOsRelease } from './system-info.js';
export { diffBundles, compareCases, DEFAULT_TOLERANCE, type BundleDiff, type CaseDiff, type CaseDifference, type DiffOptions, type Tolerance } from './compare.js';
export { DIFFERENCE_KINDS, type Difference, type DifferenceKind, type FieldChange, type SegmentField } from './differences.js';
export { Baseline, BaselineEntry, readBaseline, parseBaseline, baselineFor, baselineText, applyBaseline, BASELINE_FORMAT } from './baseline.js';
export { formatDiffText, caseSummary } from './format-text.js';
export { segmentText } from './segment-text.js';
export { ladderFromBundleCase, type LadderHighlights } from './ladder.js';
export { renderDiffHtml, renderCaseSideBySide } from './side-by-side.js';
