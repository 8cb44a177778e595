/**
 * The run's steps vitest's main process leaves to a process of their own (steps.ts says
 * why): `clean` removes the leftovers of runs whose owner is gone and prints what it
 * removed; `finish` reads vitest's outcomes (JSON on stdin), writes summary.json,
 * summary.md, report.html and bundle.json, and prints the summary's counts. Both print JSON.
 */
import { z } from 'zod';
import { finishRun } from './finish.js';
import { removeLeftovers } from './leftovers.js';
import { writeBundle } from '../diff/index.js';
import type { FinishReply } from './steps.js';

const FinishRequest = z.object({
  dir: z.string(),
  run: z.string(),
  startedAt: z.iso.datetime(),
  tests: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      state: z.enum(['passed', 'failed', 'skipped', 'pending']),
      durationMs: z.number(),
      message: z.string().optional(),
      input: z.boolean().optional(),
    }),
  ),
  moduleErrors: z.array(z.object({ file: z.string(), message: z.string() })),
});

/** stdin to its end; not readFileSync(0), which fails with EAGAIN when the pipe is non-blocking (seen in CI) */
async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

async function finish(): Promise<FinishReply> {
  const request = FinishRequest.parse(JSON.parse(await readStdin()));
  const startedAt = new Date(request.startedAt);
  const { summary, traces, report } = finishRun(request.dir, request.run, startedAt, request.tests, request.moduleErrors);
  let bundleError: string | undefined;
  if (report) {
    try {
      writeBundle(request.dir, { run: request.run, createdAt: startedAt }, traces.map((t) => t.trace));
    } catch (e) {
      bundleError = (e as Error).message;
    }
  }
  return { passed: summary.passed, failed: summary.failed, report, ...(bundleError ? { bundleError } : {}) };
}

/** An error as one line: zod's names the field. */
function oneLine(e: unknown): string {
  const text = e instanceof z.ZodError ? z.prettifyError(e) : e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

const step = process.argv[2];
try {
  if (step === 'clean') process.stdout.write(JSON.stringify(await removeLeftovers()));
  else if (step === 'finish') process.stdout.write(JSON.stringify(await finish()));
  else {
    process.stderr.write(`usage: steps-main.ts clean|finish (not ${JSON.stringify(step)})\n`);
    process.exitCode = 2;
  }
} catch (e) {
  process.stderr.write(`${oneLine(e)}\n`);
  process.exitCode = 1;
}
