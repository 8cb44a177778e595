import { relative } from 'node:path';

/** A path as the user should see it: relative to the working folder when inside it, else absolute. */
export function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

/** Written into the run folder when the run cannot start at all (a stack's guest does not start): its one line. */
export const SETUP_ERROR_FILE = 'setup-error.txt';
