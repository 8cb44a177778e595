import { relative } from 'node:path';

/** A path as the user should see it: relative to the working folder when inside it, else absolute. */
export function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}
