/**
 * tcpCase(): a vitest test per address family, each with fresh hosts, a recorded
 * wire and observed states; the trace, ladder and pcap land in captures/<run>/.
 *
 * Its verdict: passed; failed; a known failure (its failing expectation is listed, with
 * why, in cases/stacks/<stack>.json of a stack its hosts run — vitest counts it passed);
 * or not applicable (it needs what a host's stack lacks — vitest counts it skipped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'vitest';
import { CaseRun, type HostsOptions } from './run.js';
import type { CaseHost } from './host.js';
import type { Wire } from '../wire/index.js';
import type { Family } from '../sockets/index.js';
import { onExit } from './cleanup.js';
import { dieWithParent } from '../sockets/libc.js';
import { stopSidecar } from '../wire/index.js';
import { closeTraceSession } from '../observe/index.js';
import { firstFailed, inCaseScope, newCaseScope } from '../expect/expectations.js';
import { checkNeeds, findKnown, isNotApplicable, type KnownFailure, type StackName } from '../stacks/index.js';
import { isInputError, placeIn } from '../input-error.js';
import { leadingPlace } from '../report/index.js';

export interface CaseContext {
  /** Make this case's hosts: `const { client, server } = await hosts('client', 'server')`. */
  hosts<N extends string>(...args: [...N[]] | [...N[], HostsOptions]): Promise<{ [K in N]: CaseHost }>;
  wire: Wire;
  /** 4 or 6: the family this run of the case uses */
  family: Family;
  /** the case's abort signal: aborted at timeout and at the end of the case */
  signal: AbortSignal;
}

export interface CaseOptions {
  /** default both: every case runs over IPv4 and over IPv6 */
  families?: Family[];
  /** ms before the case is stopped (default 20 000), counted from when its hosts are ready, scaled per stack */
  timeout?: number;
  /**
   * waits on minute-long kernel timers: skipped by `tcpladder run --fast` (TCPLADDER_SKIP_SLOW=1);
   * its IP versions run at once, and its file is started before the others
   */
  slow?: boolean;
  /**
   * what the case needs of its hosts' stacks: `states:exact` (every transition, from the
   * tracepoint), `sysctl:KEY` (settable) or `sysctl:KEY=VALUE`. On a stack without it
   * the case is not applicable there, with the reason.
   */
  needs?: string[];
}

const DEFAULT_TIMEOUT_MS = 20_000;
const CLEANUP_MARGIN_MS = 15_000;
/** a guest may have to start before a case can lease it (UML: seconds to a minute under load) */
const GUEST_START_ALLOWANCE_MS = 120_000;
/** guests are slower: a case's own time is stretched on them */
const TIME_SCALE: Record<StackName, number> = { linux: 1, uml: 3, gvisor: 2 };

declare module 'vitest' {
  interface TaskMeta {
    tcpladder?: { verdict: 'known-failure' | 'not-applicable'; why: string; stacks: StackName[] };
  }
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  onExit(() => {
    stopSidecar();
    closeTraceSession();
  });
  // vitest leaves a worker in the middle of a case running when its main process is
  // stopped (SIGTERM, SIGINT to it alone): the worker ends too, and cleans up as it ends
  if (process.send) dieWithParent(process.ppid);
}

export function tcpCase(name: string, body: (ctx: CaseContext) => Promise<void>, options: CaseOptions = {}): void {
  const families = options.families ?? [4, 6];
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const skip = options.slow === true && process.env.TCPLADDER_SKIP_SLOW === '1';
  const needs = options.needs ?? [];
  checkNeeds(needs);
  for (const family of families) {
    const vitestTimeout = timeout * TIME_SCALE.uml + CLEANUP_MARGIN_MS + GUEST_START_ALLOWANCE_MS;
    // a slow case's IP versions wait on their kernel timers side by side, not one after the other
    test(`${name} [IPv${family}]`, { timeout: vitestTimeout, skip, concurrent: options.slow === true }, async (t) => {
      hookExit();
      const file = t.task.file?.filepath ?? '';
      const run = new CaseRun(name, file, family, needs);
      const scope = newCaseScope(file);
      const records = scope.records;
      let error: unknown = null;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      let expire: (() => void) | null = null;
      try {
        const ctx: CaseContext = {
          hosts: async (...args: unknown[]) => {
            const last = args[args.length - 1];
            const opts = typeof last === 'object' && last !== null ? (args.pop() as HostsOptions) : {};
            // the caller's frames, for an error thrown where the case's own line is not on the stack
            const site = new Error();
            const made = await run.hosts(args as string[], opts).catch((e: unknown) => {
              throw withCallSite(e, site, file);
            });
            // the case's own time starts once its hosts are ready, stretched on slower stacks
            const scale = Math.max(...run.stacks().map((s) => TIME_SCALE[s]));
            timer = setTimeout(() => expire?.(), timeout * scale);
            // an expectation's default wait too: a guest answers more slowly
            scope.timeScale = scale;
            return made as never;
          },
          wire: run.wire,
          family,
          signal: run.signal,
        };
        await inCaseScope(scope, () => Promise.race([
          body(ctx),
          new Promise<never>((_, reject) => {
            expire = () => {
              timedOut = true;
              reject(new Error(`case timed out after ${(timeout * Math.max(...run.stacks().map((s) => TIME_SCALE[s]))) / 1000} s`));
            };
          }),
        ]));
      } catch (e) {
        error = e;
      } finally {
        clearTimeout(timer);
      }
      if (isNotApplicable(error)) {
        await run.finish(null, false, { verdict: 'not-applicable', why: error.message });
        t.task.meta.tcpladder = { verdict: 'not-applicable', why: error.message, stacks: run.stacks() };
        t.skip(`not applicable: ${error.message}`);
        return;
      }
      const known = error && !isInputError(error) ? knownFailure(run, family, error, records) : null;
      const { error: failure } = await run.finish(error, timedOut, known ? { verdict: 'known-failure', why: known.why, entry: known } : undefined, records);
      if (known && failure === error) {
        t.task.meta.tcpladder = { verdict: 'known-failure', why: known.why, stacks: run.stacks() };
        return;
      }
      if (failure) {
        if (!failure.message.includes('observed ladder:')) {
          // a case that failed before its hosts were made has no capture to point at
          const pcap = existsSync(run.wire.pcapPath) ? run.wire.pcapPath : '(none: the case ended before the capture began)';
          failure.message += `\n\nobserved ladder:\n${run.ladderText()}\npcap: ${pcap}`;
        }
        throw failure;
      }
    });
  }
}

/**
 * The known-failure entry, of a stack the case's hosts run, that explains this failure:
 * keyed on the failing tcpladder expectation (matcher and what it expected), else on the
 * line of the case file that failed (`matcher: "line"`, its source text: a plain vitest
 * expect — its message may hold numbers that change from run to run — or the line of a
 * packetdrill script its error names), else on the error's
 * first line (`matcher: "error"`: a socket call that failed, whose stack does not reach
 * the case file).
 */
function knownFailure(run: CaseRun, family: Family, error: unknown, records: Parameters<typeof firstFailed>[0]): KnownFailure | null {
  const failed = firstFailed(records);
  const line = failed ? null : sourceLine(run.file, error);
  const key = {
    case: run.name,
    family: family === 6 ? ('ipv6' as const) : ('ipv4' as const),
    matcher: failed?.matcher ?? (line ? 'line' : 'error'),
    expected: failed?.expected ?? line ?? String((error as Error)?.message ?? error).split('\n')[0],
  };
  for (const stack of new Set(run.stacks())) {
    if (stack === 'linux') continue;
    const k = findKnown(stack, key);
    if (k) return k;
  }
  return null;
}

/** The text of the case file's line where `error` was raised, trimmed. */
function sourceLine(file: string, error: unknown): string | null {
  const at = error instanceof Error ? (file.endsWith('.pkt') ? leadingPlace(error.message) : placeIn(error, file)) : null;
  if (!at) return null;
  try {
    return readFileSync(file, 'utf8').split('\n')[at.line - 1]?.trim() ?? null;
  } catch {
    return null;
  }
}

/** `e` with the frames of `site` below its own when none of its frames is in the case file (an error from deep in an async chain). */
function withCallSite(e: unknown, site: Error, file: string): unknown {
  if (!(e instanceof Error) || !file || e.stack?.includes(file)) return e;
  const frames = (site.stack ?? '').split('\n').slice(1).join('\n');
  e.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n${frames}`;
  return e;
}
