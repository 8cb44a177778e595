import { describe, expect, it } from 'vitest';
import { coveredRanges } from '../../harness/packet/index.js';

describe('coveredRanges', () => {
  it('merges repeated, overlapping, adjacent and reordered segments into the bytes covered', () => {
    const segs = [
      { rseq: 1, len: 100 },
      { rseq: 201, len: 100 }, // ahead of 101..201
      { rseq: 101, len: 100 }, // fills the hole: adjacent on both sides
      { rseq: 1, len: 100 }, // sent twice
      { rseq: 250, len: 100 }, // overlaps the end
      { rseq: 500, len: 0 }, // a pure ACK covers nothing
    ];
    expect(coveredRanges(segs)).toEqual([[1, 350]]);
  });

  it('keeps holes apart and in order', () => {
    expect(coveredRanges([{ rseq: 300, len: 10 }, { rseq: 1, len: 10 }, { rseq: 100, len: 50 }, { rseq: 120, len: 5 }])).toEqual([
      [1, 11],
      [100, 150],
      [300, 310],
    ]);
  });
});
