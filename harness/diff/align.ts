/**
 * Longest-common-subsequence alignment of two lists by a key: the pairs it
 * matches, and what is left over on either side, in order. Lists here are short
 * (a case's normalised segments), so the O(n·m) table is fine.
 */
export type AlignStep = { a: number; b: number } | { a: number; b: null } | { a: null; b: number };

export function align<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): AlignStep[] {
  const ka = a.map(key);
  const kb = b.map(key);
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = ka[i] === kb[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const steps: AlignStep[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) steps.push({ a: i++, b: j++ });
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) steps.push({ a: i++, b: null });
    else steps.push({ a: null, b: j++ });
  }
  while (i < n) steps.push({ a: i++, b: null });
  while (j < m) steps.push({ a: null, b: j++ });
  return steps;
}
