// The pace of sampling: quick while something happens (every millisecond on this machine, every two in a guest), then wider gaps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SamplePace, EVERY_MS, GUEST_PACE } from '../../harness/observe/sample-pace.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

/** the times (ms since start) at which `look` ran over `ms` */
function looks(options: typeof GUEST_PACE, ms: number, changes: (t: number) => boolean = () => false, pokes: number[] = []) {
  const start = performance.now();
  const at: number[] = [];
  const pace = new SamplePace(() => {
    const t = Math.round(performance.now() - start);
    at.push(t);
    return changes(t);
  }, options);
  for (let t = 0; t < ms; t++) {
    if (pokes.includes(t)) pace.poke();
    vi.advanceTimersByTime(1);
  }
  pace.close();
  return at;
}

const gaps = (at: number[]) => at.slice(1).map((t, i) => t - at[i]);

describe('SamplePace', () => {
  it('looks at its quick gap while hot, then doubles its gap up to the widest', () => {
    const hot = GUEST_PACE.hotGapMs;
    expect(hot).toBe(2);
    const at = looks(GUEST_PACE, 200);
    expect(gaps(at.filter((t) => t <= GUEST_PACE.hotMs)).every((g) => g === hot)).toBe(true);
    expect(at.filter((t) => t <= GUEST_PACE.hotMs).length).toBeGreaterThanOrEqual(GUEST_PACE.hotMs / hot - 1);
    const later = gaps(at.filter((t) => t >= GUEST_PACE.hotMs));
    expect(later.slice(0, 3)).toEqual([4, 8, 16]);
    expect(later.slice(4).every((g) => g === GUEST_PACE.maxGapMs)).toBe(true);
  });

  it('a poke looks at once and brings the quick gap back', () => {
    const at = looks(GUEST_PACE, 300, () => false, [150]);
    expect(at).toContain(150);
    const after = gaps(at.filter((t) => t >= 150 && t <= 150 + GUEST_PACE.hotMs));
    expect(after.length).toBeGreaterThan(GUEST_PACE.hotMs / GUEST_PACE.hotGapMs - 3);
    expect(after.every((g) => g === GUEST_PACE.hotGapMs)).toBe(true);
  });

  it('a look that saw a change keeps the pace quick', () => {
    let changedAt = -1;
    const at = looks(GUEST_PACE, 300, (t) => {
      if (t < 120 || changedAt >= 0) return false;
      changedAt = t;
      return true;
    });
    // quiet until the first look from 120 on (gaps of 16), which sees a change: the quick gap again for hotMs
    expect(changedAt).toBeGreaterThanOrEqual(120);
    const after = gaps(at.filter((t) => t >= changedAt && t < changedAt + GUEST_PACE.hotMs));
    expect(after.length).toBeGreaterThan(GUEST_PACE.hotMs / GUEST_PACE.hotGapMs - 3);
    expect(after.every((g) => g === GUEST_PACE.hotGapMs)).toBe(true);
  });

  it('EVERY_MS never slows down', () => {
    const at = looks(EVERY_MS, 500);
    expect(gaps(at).every((g) => g === 1)).toBe(true);
    expect(at.length).toBeGreaterThan(490);
  });

  it('looks no more once closed', () => {
    const look = vi.fn(() => false);
    const pace = new SamplePace(look, GUEST_PACE);
    vi.advanceTimersByTime(10);
    pace.close();
    const n = look.mock.calls.length;
    vi.advanceTimersByTime(100);
    pace.poke();
    expect(look.mock.calls.length).toBe(n);
  });
});
