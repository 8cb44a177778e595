/**
 * The order case files start in: files holding a slow case (one that waits on a minute-long
 * kernel timer, `slow: true`) first, so that they run beside everything else instead of
 * starting last and making the run as long as themselves; otherwise vitest's own order
 * (longest first by its recorded durations, else largest file first).
 */
import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOW = /\bslow:\s*true\b/;

function holdsSlowCase(file: string): boolean {
  if (!file.endsWith('.case.ts')) return false;
  try {
    return SLOW.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = sorted.filter((f) => holdsSlowCase(f.moduleId));
    return [...slow, ...sorted.filter((f) => !slow.includes(f))];
  }
}
