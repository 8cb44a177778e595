/** How much a run folder holds: printed at the end of a run. */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of every file under `dir` (symbolic links not followed). */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** 2.0 MB, 340 kB, 512 bytes (decimal units, as du --si and file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
