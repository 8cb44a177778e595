import { describe, expect, it } from 'vitest';
import { trustedOffset } from '../../harness/wire/packet-socket.js';

describe('the realtime − monotonic offset that places kernel timestamps', () => {
  it('takes the middle of a tight reading', () => {
    expect(trustedOffset(1_000n, 5_000_500n, 2_000n, null)).toBe(4_999_000n);
  });

  it('does not trust a reading preempted between its monotonic readings when an earlier offset exists', () => {
    // 30 ms between the two: the middle could be off by 15 ms
    expect(trustedOffset(1_000_000n, 50_000_000n, 31_000_000n, 4_999_000n)).toBeNull();
    expect(trustedOffset(1_000_000n, 50_000_000n, 31_000_000n, null)).toBe(34_000_000n);
  });
});
