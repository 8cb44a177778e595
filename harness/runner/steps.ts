/**
 * The run's steps that need most of the harness, each in a short-lived process of its
 * own (steps-main.ts): removing the leftovers of earlier runs at the start, and at the
 * end summary.json, summary.md, report.html and bundle.json. vitest's main process
 * lives for the whole run; what it loads it keeps (netlink and libc through koffi, every
 * trace, the report), and these steps alone would double its memory (docs/PERFORMANCE.md,
 * Peak memory). No zod here for the same reason: steps-main.ts validates its input.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { programArgs } from '../bundle.js';
import type { TestOutcome } from './results.js';

export interface FinishRequest {
  dir: string;
  run: string;
  /** ISO time */
  startedAt: string;
  tests: TestOutcome[];
  moduleErrors: { file: string; message: string }[];
}

export interface FinishReply {
  passed: number;
  failed: number;
  /** report.html, or null when nothing ran */
  report: string | null;
  bundleError?: string;
}

async function runStep<T>(step: 'clean' | 'finish', what: string, input: unknown): Promise<T> {
  const script = fileURLToPath(new URL('./steps-main.ts', import.meta.url));
  const child = spawn(process.execPath, [...(await programArgs(script, 'steps')).args, step], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  child.stdin.end(JSON.stringify(input));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${what} failed (${script} ${step} exited ${code}): ${err.trim()}`);
  // steps-main.ts validates what it is given; what it prints back is its own
  return JSON.parse(out) as T;
}

/** Removes what runs whose owner is gone left behind; one line per thing removed. */
export function removeLeftoversInChild(): Promise<string[]> {
  return runStep<string[]>('clean', 'removing the leftovers of earlier runs', null);
}

/** Writes the run's summary, pages and bundle from its folder's traces and vitest's outcomes. */
export function finishInChild(request: FinishRequest): Promise<FinishReply> {
  return runStep<FinishReply>('finish', "writing the run's report", request);
}
