/**
 * The differences from Linux that are known and explained: one reviewed file per stack,
 * cases/stacks/<stack>.json, listing each case whose assertions fail on that stack, keyed
 * on the failing expectation (matcher and what it expected), with why in a sentence a
 * person can check. A failure listed there is a "known failure"; a case failing any other
 * way is a new failure; a listed failure that no longer occurs is stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, fieldName } from '../input-error.js';
import { STACKS, type StackName } from './types.js';

export const KnownFailure = z
  .object({
    /** the case's name as tcpCase gives it (without the [IPv4] suffix), or a .pkt script's path */
    case: z.string().min(1),
    /** only this family (default: both) */
    family: z.enum(['ipv4', 'ipv6']).optional(),
    /** the matcher whose expectation fails (toHaveSegments, toHaveStates, toPassThrough, toReceive, toFailWith), `line` or `error` */
    matcher: z.string().min(1),
    /**
     * what it expected: the segment pattern that does not match, the state list, the errno;
     * for `line` (a plain vitest expect that failed), the source text of the case file's line;
     * for `error` (a call that threw), the error's first line
     */
    expected: z.string().min(1),
    /** why, in a sentence a person can check */
    why: z.string().min(10),
  })
  .strict();
export type KnownFailure = z.infer<typeof KnownFailure>;

export const KnownFailuresFile = z
  .object({
    stack: z.enum(STACKS),
    known: z.array(KnownFailure),
  })
  .strict();

/** The folder of the per-stack files: cases/stacks/ (TCPLADDER_KNOWN_DIR for tests). */
export function knownFailuresDir(): string {
  return process.env.TCPLADDER_KNOWN_DIR ?? join(process.cwd(), 'cases', 'stacks');
}

const cache = new Map<string, KnownFailure[]>();

/** The known failures of `stack` (none when it has no file); bad input when the file is malformed. */
export function knownFailures(stack: StackName, dir = knownFailuresDir()): KnownFailure[] {
  const file = join(dir, `${stack}.json`);
  const hit = cache.get(file);
  if (hit) return hit;
  let list: KnownFailure[] = [];
  if (existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`not JSON: ${(e as Error).message}`, { file });
    }
    const r = KnownFailuresFile.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new InputError(issue.message, { file, field: fieldName(issue.path) });
    }
    if (r.data.stack !== stack) throw new InputError(`lists stack ${r.data.stack}, its name says ${stack}`, { file, field: 'stack' });
    list = r.data.known;
  }
  cache.set(file, list);
  return list;
}

export interface FailureKey {
  case: string;
  family: 'ipv4' | 'ipv6';
  matcher: string;
  expected: string;
}

/** The entry of `stack` that explains this failure, or null. */
export function findKnown(stack: StackName, failure: FailureKey, dir?: string): KnownFailure | null {
  return (
    knownFailures(stack, dir).find(
      (k) => k.case === failure.case && (k.family === undefined || k.family === failure.family) && k.matcher === failure.matcher && k.expected === failure.expected,
    ) ?? null
  );
}
