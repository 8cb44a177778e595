/**
 * The vitest reporter `tcpladder run` uses: a line per case as it finishes
 * (n/N, name, time, pass/fail), the whole failure of every failed case (its
 * expected/observed table and text ladder) right below its line, and a summary.
 *
 * N counts the cases of the case files collected so far; "+" after it means some
 * files are not collected yet (vitest collects a file when a worker starts it).
 *
 * Settings come from the environment `tcpladder run` sets: TCPLADDER_QUIET=1
 * prints only failures and the summary; TCPLADDER_COLOR=1/0 (default: colour
 * when stdout is a TTY and NO_COLOR is unset). Under GitHub Actions (GITHUB_ACTIONS
 * set) the run ends with an `::error` annotation per failure (annotations.ts).
 */
import { shownPath } from './paths.js';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, TestSpecification } from 'vitest/node';
import { paint, wantColour, type Paint } from './colour.js';
import { failureText, outcomeOf, pairTraces, type TestOutcome } from './results.js';
import { formatDuration } from '../report/index.js';
import { githubAnnotations, wantAnnotations } from './annotations.js';
import { readTraces } from './summary.js';

type UserConsoleLog = Parameters<NonNullable<Reporter['onUserConsoleLog']>>[0];

export interface ReporterOptions {
  quiet?: boolean;
  colour?: boolean;
  write?: (s: string) => void;
  /** print GitHub annotations for the failures at the end (default: when GITHUB_ACTIONS is set) */
  annotations?: boolean;
  /** the run folder, whose traces say where each failure is (default: TCPLADDER_RUN_DIR) */
  runDir?: string;
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? '' : by + l))
    .join('\n');
}

export default class TcpladderReporter implements Reporter {
  private readonly quiet: boolean;
  private readonly c: Paint;
  private readonly out: (s: string) => void;
  /** the last output ended with a blank line */
  private blank = true;
  private files = 0;
  private collected = 0;
  private total = 0;
  private done = 0;
  private readonly failures: TestOutcome[] = [];
  private counts = { passed: 0, failed: 0, skipped: 0, known: 0, notApplicable: 0 };
  /** failed cases that failed on bad input: the run exits 2 */
  private inputs = 0;
  private startedAt = performance.now();
  private readonly prefix = process.env.TCPLADDER_LINE_PREFIX ?? '';
  private readonly annotations: boolean;
  private readonly runDir: string | undefined;

  constructor(options: ReporterOptions = {}) {
    const env = process.env;
    this.quiet = options.quiet ?? env.TCPLADDER_QUIET === '1';
    const colour = options.colour ?? (env.TCPLADDER_COLOR ? env.TCPLADDER_COLOR === '1' : wantColour(process.stdout));
    this.c = paint(colour);
    this.out = options.write ?? ((s) => void process.stdout.write(s));
    this.annotations = options.annotations ?? wantAnnotations();
    this.runDir = options.runDir ?? env.TCPLADDER_RUN_DIR;
  }

  private write(s: string): void {
    if (s === '') return;
    // a matrix run's stacks run at once: each line says whose it is
    this.out(this.prefix ? s.replace(/^(?=.)/gm, this.prefix) : s);
    this.blank = s.endsWith('\n\n');
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.startedAt = performance.now();
    this.files = new Set(specifications.map((s) => s.moduleId)).size;
    if (!this.quiet) this.write(`running ${this.files} case file${this.files === 1 ? '' : 's'}\n`);
  }

  onTestModuleCollected(module: TestModule): void {
    this.collected++;
    for (const _ of module.children.allTests()) this.total++;
  }

  onTestCaseResult(test: TestCase): void {
    const o = outcomeOf(test);
    if (o.state === 'pending') return;
    this.done++;
    this.counts[o.state]++;
    const width = String(this.total).length;
    const counter = `${String(this.done).padStart(width)}/${this.total}${this.collected < this.files ? '+' : ' '}`;
    const verdict = test.meta().tcpladder;
    const mark = verdict ? this.c.yellow(verdict.verdict === 'known-failure' ? '≈' : '-') : o.state === 'passed' ? this.c.green('✓') : o.state === 'failed' ? this.c.red('✗') : this.c.yellow('-');
    const time = verdict
      ? this.c.yellow(`${verdict.verdict === 'known-failure' ? 'known failure' : 'not applicable'} on ${[...new Set(verdict.stacks.filter((s) => s !== 'linux'))].join(', ') || 'linux'}: ${verdict.why}`)
      : o.state === 'skipped'
        ? this.c.yellow('skipped')
        : this.c.dim(formatDuration(o.durationMs));
    const line = `${mark} ${counter} ${o.state === 'failed' ? this.c.red(o.name) : o.name}  ${time}\n`;
    if (verdict) this.counts[verdict.verdict === 'known-failure' ? 'known' : 'notApplicable']++;
    if (o.state === 'failed') {
      this.failures.push(o);
      if (o.input) this.inputs++;
      this.write(line + this.failureBlock(o.message ?? 'failed') + '\n');
    } else if (!this.quiet) {
      this.write(line);
    }
  }

  onTestModuleEnd(module: TestModule): void {
    const errors = module.errors();
    if (errors.length === 0) return;
    this.counts.failed++;
    const name = shownPath(module.moduleId);
    const message = failureText(errors, module.moduleId);
    this.failures.push({ name: `${name} did not load`, file: module.moduleId, state: 'failed', durationMs: 0, message });
    this.write(`${this.c.red('✗')} ${this.c.red(`${name} did not load`)}\n${this.failureBlock(message)}\n`);
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    if (!this.quiet) this.write(this.c.dim(log.content.endsWith('\n') ? log.content : `${log.content}\n`));
  }

  onTestRunEnd(_modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, _reason?: TestRunEndReason): void {
    for (const e of unhandled) {
      this.write(`${this.c.red('✗ unhandled error')}\n${this.failureBlock(unhandledText(e))}\n`);
    }
    const { failed, known, notApplicable } = this.counts;
    // vitest counts a known failure passed and a case not applicable skipped: tell them apart
    const passed = this.counts.passed - known;
    const skipped = this.counts.skipped - notApplicable;
    const parts = [this.c.green(`${passed} passed`), failed ? this.c.red(`${failed} failed${this.inputs ? ` (${this.inputs} on bad input)` : ''}`) : `${failed} failed`];
    if (known) parts.push(this.c.yellow(`${known} known failure${known === 1 ? '' : 's'}`));
    if (notApplicable) parts.push(this.c.yellow(`${notApplicable} not applicable`));
    if (skipped) parts.push(this.c.yellow(`${skipped} skipped`));
    if (unhandled.length) parts.push(this.c.red(`${unhandled.length} unhandled error${unhandled.length === 1 ? '' : 's'}`));
    const took = formatDuration(performance.now() - this.startedAt);
    let out = `${this.blank ? '' : '\n'}${parts.join(', ')} in ${took}\n`;
    if (this.failures.length) {
      out += `failed:\n${this.failures.map((f) => `  ${this.c.red('✗')} ${f.name}${f.message ? this.c.dim(` — ${f.message.split('\n')[0]}`) : ''}`).join('\n')}\n`;
    }
    this.write(out);
    // workflow commands must begin their line: never prefixed
    if (this.annotations) this.out(this.githubAnnotations());
  }

  /** An annotation per failure: placed by its trace where the run folder has one. */
  private githubAnnotations(): string {
    const traces = this.runDir ? readTraces(this.runDir).map((t) => t.trace) : [];
    const { paired, unpaired } = pairTraces(traces, this.failures);
    const runs = traces.flatMap((trace, i) => (trace.status === 'failed' ? [{ trace, message: paired[i]?.message }] : []));
    const rest = unpaired.map((o) => ({ title: o.name, file: o.file, message: o.message ?? 'failed' }));
    return githubAnnotations(runs, rest);
  }

  /** The failure message indented below its line, mismatch lines in red. */
  private failureBlock(message: string): string {
    const lines = indent(message.replace(/\s+$/, '')).split('\n');
    return lines.map((l) => (l.includes('✗') ? this.c.red(l) : /^\s*observed ladder:$/.test(l) ? this.c.bold(l) : l)).join('\n') + '\n';
  }
}

/** An error no case caught: its message, where vitest saw it arise (file and test) and its top frames. */
function unhandledText(e: SerializedError): string {
  const from = e as SerializedError & { VITEST_TEST_PATH?: string; VITEST_TEST_NAME?: string };
  const origin = from.VITEST_TEST_PATH ? `arose in ${shownPath(from.VITEST_TEST_PATH)}${from.VITEST_TEST_NAME ? ` (${from.VITEST_TEST_NAME})` : ''}` : '';
  const frames = (e.stacks ?? []).slice(0, 4).map((f) => `at ${shownPath(f.file)}:${f.line}:${f.column}${f.method ? ` (${f.method})` : ''}`);
  return [failureText([e]), ...(origin ? ['', origin] : []), ...frames].join('\n');
}
