/** Sorted, disjoint, non-adjacent [start, end) ranges of sequence space. */
export class RangeSet {
  /** [start0, end0, start1, end1, …] */
  private readonly r: number[] = [];

  /** true when [start, end) overlaps a range of the set */
  overlaps(start: number, end: number): boolean {
    const r = this.r;
    for (let i = r.length - 2; i >= 0; i -= 2) {
      if (r[i + 1] <= start) return false;
      if (r[i] < end) return true;
    }
    return false;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const r = this.r;
    // the first range whose end >= start (ranges are few and new ones usually come last: scan from the top)
    let i = r.length;
    while (i >= 2 && r[i - 1] >= start) i -= 2;
    let j = i;
    let s = start;
    let e = end;
    while (j < r.length && r[j] <= e) {
      if (r[j] < s) s = r[j];
      if (r[j + 1] > e) e = r[j + 1];
      j += 2;
    }
    if (j - i === 2) {
      r[i] = s;
      r[i + 1] = e;
    } else {
      r.splice(i, j - i, s, e);
    }
  }

  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.r.length; i += 2) out.push([this.r[i], this.r[i + 1]]);
    return out;
  }
}

/**
 * The bytes a sender's segments cover, as merged [start, end) ranges of relative
 * sequence numbers. Unlike a sum of lengths it is not fooled by segments sent twice
 * (retransmissions, tail-loss probes) or in another order: a transfer of N bytes
 * that all arrived is exactly [[1, N + 1]].
 */
export function coveredRanges(segments: Iterable<{ rseq: number; len: number }>): Array<[number, number]> {
  const set = new RangeSet();
  for (const s of segments) set.add(s.rseq, s.rseq + s.len);
  return set.ranges();
}
