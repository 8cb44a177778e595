/**
 * C sources of the project (the relay's fast path; the bench's bare relay) built with the
 * machine's C compiler into node_modules/.cache/tcpladder/, once per version of the
 * source: the file is named after the hash of its source and flags, made under a
 * temporary name and renamed into place, so processes starting together never load a
 * half-written one. scripts/setup installs the compiler (gcc), as it must for `cap`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { projectRoot } from './bundle.js';

const FLAGS = { library: ['-O2', '-Wall', '-shared', '-fPIC'], program: ['-O2', '-Wall'] } as const;

function cacheDir(root: string): string {
  for (const dir of [join(root, 'node_modules', '.cache', 'tcpladder'), join(tmpdir(), 'tcpladder-native')]) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: the next one
    }
  }
  throw new Error('no writable folder for built C sources (node_modules/.cache/tcpladder, or the temporary folder)');
}

/** The path of `source` built as a shared library or a program, built now if it is not yet. */
export function builtC(source: string, kind: keyof typeof FLAGS): string {
  // a source outside any project (a test's): its own folder stands for the project's
  const root = projectRoot(dirname(source)) ?? dirname(source);
  const flags = FLAGS[kind];
  const hash = createHash('sha256').update(`${flags.join(' ')}\n`).update(readFileSync(source)).digest('hex').slice(0, 16);
  const name = basename(source, '.c');
  const dir = cacheDir(root);
  const out = join(dir, `${name}-${hash}${kind === 'library' ? '.so' : ''}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync('cc', [...flags, '-o', tmp, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error(`cannot build ${relative(root, source)}: no C compiler (cc) on the PATH; scripts/setup installs gcc`);
    throw new Error(`cc ${relative(root, source)} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
  renameSync(tmp, out);
  return out;
}
