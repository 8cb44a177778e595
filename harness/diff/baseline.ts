/**
 * A baseline lists differences that are known and accepted (like packetimpact's
 * expected failures): they are still shown, marked accepted, but only the others
 * decide `tcpladder diff`'s exit code.
 *
 *   { "format": "tcpladder-baseline", "version": 1, "accept": [
 *       { "case": "three-way handshake [*]", "kind": "segment-changed", "field": "opts",
 *         "reason": "ubuntu-24.04 runners: no timestamps" } ] }
 *
 * `case` and `field` are globs (`*`, `?`). `kind` is a difference kind, "segment"
 * for any segment difference, or "*". `field` is matched against a changed
 * segment's fields (every changed field must be covered), an added or missing
 * segment's flags ("RST ACK", "data"), a socket label, or a timer name; leave it
 * out to accept the kind whatever the field.
 */
import { z } from 'zod';
import { DIFFERENCE_KINDS, differenceSubjects, type Difference } from './differences.js';
import { InputError, fieldName } from '../input-error.js';
import { readJsonFile } from './read-bundle.js';
import type { BundleDiff } from './compare.js';
import { jsonText } from './json-text.js';

export const BASELINE_FORMAT = 'tcpladder-baseline';

const Kind = z.enum(['segment', '*', ...DIFFERENCE_KINDS]);

export const BaselineEntry = z.strictObject({
  case: z.string().min(1).max(300),
  kind: Kind,
  field: z.string().min(1).max(300).optional(),
  reason: z.string().max(500).optional(),
});

export const Baseline = z.strictObject({
  format: z.literal(BASELINE_FORMAT),
  version: z.literal(1),
  accept: z.array(BaselineEntry),
});

export type BaselineEntry = z.infer<typeof BaselineEntry>;
export type Baseline = z.infer<typeof Baseline>;

const globs = new Map<string, RegExp>();
export function globMatch(glob: string, text: string): boolean {
  let re = globs.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
    globs.set(glob, re);
  }
  return re.test(text);
}

function kindMatches(entry: BaselineEntry, d: Difference): boolean {
  return entry.kind === '*' || entry.kind === d.kind || (entry.kind === 'segment' && d.kind.startsWith('segment-'));
}

/** Is `d` (in case `caseId`) accepted by the baseline? */
export function applyBaseline(baseline: Baseline, caseId: string, d: Difference): boolean {
  const entries = baseline.accept.filter((e) => globMatch(e.case, caseId) && kindMatches(e, d));
  if (entries.some((e) => e.field === undefined)) return true;
  const subjects = differenceSubjects(d);
  if (!subjects.length) return false;
  return subjects.every((s) => entries.some((e) => globMatch(e.field!, s)));
}

export function parseBaseline(json: unknown, file: string): Baseline {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o.format !== BASELINE_FORMAT) {
    throw new InputError(`not a tcpladder baseline (format is ${JSON.stringify(o?.format) ?? 'missing'}, expected "${BASELINE_FORMAT}")`, { file, field: 'format' });
  }
  const parsed = Baseline.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file, field: fieldName(issue.path) });
  }
  return parsed.data;
}

export function readBaseline(file: string): Baseline {
  return parseBaseline(readJsonFile(file), file);
}

/** A baseline accepting every difference of `diff` that is not accepted yet (plus those already accepted by `previous`). */
export function baselineFor(diff: BundleDiff, previous?: Baseline): Baseline {
  const accept: BaselineEntry[] = [...(previous?.accept ?? [])];
  const seen = new Set(accept.map((e) => JSON.stringify([e.case, e.kind, e.field ?? null])));
  const add = (e: BaselineEntry) => {
    const key = JSON.stringify([e.case, e.kind, e.field ?? null]);
    if (seen.has(key)) return;
    seen.add(key);
    accept.push(e);
  };
  for (const c of diff.cases) {
    for (const { difference, accepted } of c.differences) {
      if (accepted) continue;
      const subjects = differenceSubjects(difference);
      if (!subjects.length) add({ case: c.id, kind: difference.kind });
      for (const field of subjects) add({ case: c.id, kind: difference.kind, field });
    }
  }
  return { format: BASELINE_FORMAT, version: 1, accept };
}

export function baselineText(b: Baseline): string {
  return jsonText(b) + '\n';
}
