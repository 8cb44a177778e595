import './matchers.js';
export { registerSubject, currentTimeScale, sideBySide, segmentLine, type SegmentSubject, type StateSubject, type WaitOptions, type TcpladderMatchers } from './matchers.js';
export { parsePattern, parsePatterns, patternText, PatternError, SegmentPatternObject, type Pattern, type PatternInput, type SegmentPattern } from '../pattern/index.js';
export { matchSegments, matchStates, matchSubsequence, matchSampled, mismatch, type MatchResult } from './match.js';
export { checkTransition, LINUX_DEVIATIONS, LINUX_OBSERVABILITY, type DiagramCheck } from './diagram.js';
