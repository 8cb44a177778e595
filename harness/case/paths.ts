import { join, resolve } from 'node:path';
import { mkdirSync, existsSync } from 'node:fs';
import { runId } from '../topology/owner.js';

/** captures/<run>/ — set once per run by the runner, inherited by worker processes. */
export function runDir(): string {
  let dir = process.env.TCPLADDER_RUN_DIR;
  if (!dir) {
    dir = resolve('captures', runId());
    process.env.TCPLADDER_RUN_DIR = dir;
  }
  return dir;
}

export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/→/g, '-')
      .replace(/[^a-z0-9]+/g, '-')
      .slice(0, 80)
      .replace(/^-+|-+$/g, '') || 'case'
  );
}

/** captures/<run>/<case>-ipv4/ — a new folder even when two cases share a name. */
export function caseDir(name: string, family: 4 | 6): string {
  const base = join(runDir(), `${slug(name)}-ipv${family}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}
