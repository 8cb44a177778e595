/**
 * When states are sampled next. Without a tracepoint a state is only seen by looking,
 * and a look inside a guest is several system calls, each a trip through ptrace (UML)
 * or gVisor's sentry: looking every millisecond for a whole case kept a third of a CPU
 * busy per guest (docs/PERFORMANCE.md, "The stack matrix"). States change when
 * something happens: a call the case makes, a segment it causes, a timer. So the pace
 * is a look every `hotGapMs` while something happens — `poke()`, or a look that saw a
 * change — and, once nothing has for `hotMs`, gaps that double up to `maxGapMs`.
 * EVERY_MS keeps the millisecond throughout (this machine's own sock_diag). A guest's
 * quick gap is 2 ms: a UML case that opens and closes a connection took a fifth more
 * of the machine's CPU looking every millisecond (docs/PERFORMANCE.md, "The stack matrix").
 */
export interface PaceOptions {
  /** the gap while something happens */
  hotGapMs: number;
  /** how long after the last poke or change the gap stays at `hotGapMs` */
  hotMs: number;
  /** the widest gap while nothing happens */
  maxGapMs: number;
}

/** a guest's: quiet stretches (waiting for a timer, for a peer) looked at every 16 ms */
export const GUEST_PACE: PaceOptions = { hotGapMs: 2, hotMs: 50, maxGapMs: 16 };
export const EVERY_MS: PaceOptions = { hotGapMs: 1, hotMs: 0, maxGapMs: 1 };

export class SamplePace {
  private timer: NodeJS.Timeout | null = null;
  private gap: number;
  private lastActivity = performance.now();
  private closed = false;

  /** `look()` samples and says whether it saw a change. */
  constructor(
    private readonly look: () => boolean,
    private readonly options: PaceOptions,
  ) {
    this.gap = options.hotGapMs;
    this.schedule();
  }

  /** Something happened: look now, and every millisecond again. */
  poke(): void {
    if (this.closed) return;
    this.look();
    this.lastActivity = performance.now();
    if (this.gap !== this.options.hotGapMs) {
      this.gap = this.options.hotGapMs;
      this.schedule();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.tick, this.gap);
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.closed) return;
    const now = performance.now();
    if (this.look()) this.lastActivity = now;
    if (now - this.lastActivity < this.options.hotMs) this.gap = this.options.hotGapMs;
    else this.gap = Math.min(this.gap * 2, this.options.maxGapMs);
    this.schedule();
  };
}
