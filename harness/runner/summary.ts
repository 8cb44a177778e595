/** summary.json: the run's cases, read back from the trace.json each case wrote. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { release, version } from 'node:os';
import type { RunSummary } from '../trace/types.js';
import { pairTraces, type TestOutcome } from './results.js';

export type SummaryCase = RunSummary['cases'][number] & {
  /** the whole failure message with its expected/observed table (error is its first line) */
  message?: string;
};

/** summary.json as written: RunSummary plus what only vitest knew. */
export interface RunSummaryFile extends RunSummary {
  cases: SummaryCase[];
  /** case files that failed without a trace: a file that did not load, a test that failed before its case began */
  problems?: { title: string; file: string; message: string }[];
}

import { readTraces, type TracedCase } from '../trace/read.js';

export { readTraces, type TracedCase };

export interface SummaryInput {
  run: string;
  startedAt: Date;
  traces: TracedCase[];
  /** vitest's outcomes, for whole failure messages; none when vitest is not asked */
  tests?: TestOutcome[];
  /** load errors of case files */
  moduleErrors?: { file: string; message: string }[];
}

const isCaseFile = (file: string) => file.endsWith('.case.ts') || file.endsWith('.pkt');

export function buildSummary(input: SummaryInput): RunSummaryFile {
  const { traces } = input;
  const { paired, unpaired } = pairTraces(traces.map((t) => t.trace), input.tests ?? []);
  const problems = [
    ...unpaired
      .filter((t) => t.state === 'failed' && isCaseFile(t.file))
      .map((t) => ({ title: t.name, file: t.file, message: t.message ?? 'failed' })),
    ...(input.moduleErrors ?? []).filter((m) => isCaseFile(m.file)).map((m) => ({ title: `${m.file} did not load`, ...m })),
  ];
  return {
    version: 1,
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    durationMs: Date.now() - input.startedAt.getTime(),
    kernel: `${release()} ${version()}`,
    node: process.version,
    passed: traces.filter((t) => t.trace.status === 'passed').length,
    failed: traces.filter((t) => t.trace.status === 'failed').length,
    knownFailures: traces.filter((t) => t.trace.status === 'known-failure').length,
    notApplicable: traces.filter((t) => t.trace.status === 'not-applicable').length,
    cases: traces.map(({ dir, trace }, i) => {
      const message = trace.status === 'failed' ? paired[i]?.message : undefined;
      const stacks = [...new Set(trace.hosts.map((h) => h.stack ?? 'linux'))].sort();
      return {
        case: trace.case,
        family: trace.family,
        file: trace.file,
        status: trace.status,
        durationMs: Math.round(trace.durationMs),
        dir,
        stacks,
        ...(trace.error ? { error: trace.error } : {}),
        ...(trace.errorKind ? { errorKind: trace.errorKind } : {}),
        ...(trace.why ? { why: trace.why } : {}),
        ...(trace.known ? { known: trace.known } : {}),
        ...(message ? { message } : {}),
      };
    }),
    ...(problems.length ? { problems } : {}),
  };
}

export function writeSummary(runDir: string, summary: RunSummaryFile): void {
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
}

/** `dir`/summary.json of a run on one stack, or null when the run wrote none. */
export function readSummary(dir: string): RunSummaryFile | null {
  const file = join(dir, 'summary.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunSummaryFile) : null;
}
