// C sources built once per version, with a clear error where there is no compiler or the
// source does not compile.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtC } from '../harness/native-build.js';

const dir = mkdtempSync(join(tmpdir(), 'tcpladder-native-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('builtC', () => {
  it('builds a program once per version of its source, and the program runs', () => {
    const source = join(dir, 'hello.c');
    writeFileSync(source, '#include <stdio.h>\nint main(void) { puts("one"); return 0; }\n');
    const first = builtC(source, 'program');
    expect(execFileSync(first, { encoding: 'utf8' })).toBe('one\n');
    const built = statSync(first).mtimeMs;
    expect(builtC(source, 'program')).toBe(first);
    expect(statSync(first).mtimeMs).toBe(built);
    writeFileSync(source, '#include <stdio.h>\nint main(void) { puts("two"); return 0; }\n');
    const second = builtC(source, 'program');
    expect(second).not.toBe(first);
    expect(execFileSync(second, { encoding: 'utf8' })).toBe('two\n');
    // a library of the same source is another file
    expect(builtC(source, 'library')).not.toBe(second);
  });

  it('says what the compiler said about a source that does not compile, and leaves nothing half-made', () => {
    const source = join(dir, 'broken.c');
    writeFileSync(source, 'int main(void) { return undeclared; }\n');
    expect(() => builtC(source, 'program')).toThrow(/^cc broken\.c failed: .*undeclared/s);
    // (no package.json above it: built beside the source's folder, as a project's are in its node_modules)
    expect(readdirSync(join(dir, 'node_modules/.cache/tcpladder')).filter((f) => f.startsWith('broken'))).toEqual([]);
  });

  it('says so where there is no C compiler', () => {
    const source = join(dir, 'nocc.c');
    writeFileSync(source, 'int main(void) { return 0; }\n');
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-such-bin');
    try {
      expect(() => builtC(source, 'program')).toThrow('cannot build nocc.c: no C compiler (cc) on the PATH; scripts/setup installs gcc');
    } finally {
      process.env.PATH = path;
    }
  });
});
