/**
 * tcpCase(): a vitest test per address family, each with fresh hosts, a recorded
 * wire and observed states; the trace, ladder and pcap land in captures/<run>/.
 */
import { existsSync } from 'node:fs';
import { test } from 'vitest';
import { CaseRun, type HostsOptions } from './run.js';
import type { CaseHost } from './host.js';
import type { Wire } from '../wire/index.js';
import type { Family } from '../sockets/index.js';
import { onExit } from './cleanup.js';
import { stopSidecar } from '../wire/index.js';
import { closeTraceSession } from '../observe/index.js';

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
  /** ms before the case is stopped (default 20 000) */
  timeout?: number;
  /** waits on minute-long kernel timers: skipped by `tcpladder run --fast` (TCPLADDER_SKIP_SLOW=1) */
  slow?: boolean;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const CLEANUP_MARGIN_MS = 15_000;

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  onExit(() => {
    stopSidecar();
    closeTraceSession();
  });
}

export function tcpCase(name: string, body: (ctx: CaseContext) => Promise<void>, options: CaseOptions = {}): void {
  const families = options.families ?? [4, 6];
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  const skip = options.slow === true && process.env.TCPLADDER_SKIP_SLOW === '1';
  for (const family of families) {
    test(`${name} [IPv${family}]`, { timeout: timeout + CLEANUP_MARGIN_MS, skip }, async (t) => {
      hookExit();
      const run = new CaseRun(name, t.task.file?.filepath ?? '', family);
      let error: unknown = null;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      try {
        const ctx: CaseContext = {
          hosts: (...args: unknown[]) => {
            const last = args[args.length - 1];
            const opts = typeof last === 'object' && last !== null ? (args.pop() as HostsOptions) : {};
            return run.hosts(args as string[], opts) as never;
          },
          wire: run.wire,
          family,
          signal: run.signal,
        };
        await Promise.race([
          body(ctx),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              timedOut = true;
              reject(new Error(`case timed out after ${timeout / 1000} s`));
            }, timeout);
          }),
        ]);
      } catch (e) {
        error = e;
      } finally {
        clearTimeout(timer);
      }
      const { error: failure } = await run.finish(error, timedOut);
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
