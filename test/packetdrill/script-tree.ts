/**
 * A temporary script tree shaped like cases/packetdrill (common/defaults.sh and
 * tcpladder.json at its top) for the scripts a test file writes and runs in its own
 * worker. The traces of those runs go inside it, not to the run's folder; when the
 * file's tests end, the worker's sidecar and trace session stop and the tree goes.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCaseRunDir } from '../case-run-dir.js';

/** cases/packetdrill, whose common files every tree gets */
export const SCRIPTS = join(import.meta.dirname, '../../cases/packetdrill');

/** Makes the tree (with the given empty folders) for the calling test file; returns its path. */
export function scriptTree(label: string, folders: string[] = []): string {
  const tree = mkdtempSync(join(tmpdir(), `tcpl-${label}-`));
  for (const f of ['common', ...folders]) mkdirSync(join(tree, f));
  copyFileSync(join(SCRIPTS, 'common/defaults.sh'), join(tree, 'common/defaults.sh'));
  cpSync(join(SCRIPTS, 'tcpladder.json'), join(tree, 'tcpladder.json'));
  useCaseRunDir(join(tree, 'captures'), tree);
  return tree;
}
