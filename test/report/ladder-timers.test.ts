import { describe, expect, it } from 'vitest';
import { renderLadderSvg, type Ladder, type LadderRow } from '../../harness/report/index.js';
import { timerSpans } from '../../harness/report/ladder-svg.js';
import { handshakeAndClose } from './fixtures.js';
import { bySelector, child, findAll, parseXml } from './xml.js';

const columns = [{ name: 'client' }, { name: 'server' }];
const state = (t: number, column: number, s: string, socket?: string): LadderRow => ({ kind: 'state', t, column, state: s, ...(socket ? { socket } : {}) });

describe('timer spans (TIME_WAIT)', () => {
  it('runs from the TIME_WAIT row to the end of the ladder when nothing ends it', () => {
    const ladder = handshakeAndClose();
    const root = parseXml(renderLadderSvg(ladder));
    const timers = findAll(root, bySelector('g', 'timer'));
    expect(timers).toHaveLength(1);
    expect(timers[0]!.attrs['data-open']).toBe('true');
    const rect = child(timers[0]!, 'rect')!;
    const lifeline = findAll(root, bySelector('line', 'lifeline'))[0]!;
    expect(Number(rect.attrs['y']) + Number(rect.attrs['height'])).toBe(Number(lifeline.attrs['y2']));
    // beside the client's lifeline, left of it like the client's state boxes
    expect(Number(rect.attrs['x']) + Number(rect.attrs['width'])).toBeLessThan(Number(lifeline.attrs['x1']));
  });

  it('ends at the same socket\'s next state, not at another socket\'s', () => {
    const rows = [state(0, 1, 'TIME_WAIT', 'a'), state(1, 1, 'ESTABLISHED', 'b'), state(2, 1, 'CLOSED', 'a'), state(3, 0, 'TIME_WAIT')];
    const spans = timerSpans(rows);
    expect(spans.map((s) => [s.start, s.end])).toEqual([[0, 2], [3, null]]);
    const root = parseXml(renderLadderSvg({ columns, rows } satisfies Ladder));
    const closed = findAll(root, bySelector('g', 'timer')).filter((g) => g.attrs['data-open'] === undefined);
    expect(closed).toHaveLength(1);
  });

  it('draws nothing for ladders without timer states', () => {
    const rows = [state(0, 0, 'SYN_SENT'), state(1, 0, 'ESTABLISHED')];
    expect(timerSpans(rows)).toEqual([]);
    expect(renderLadderSvg({ columns, rows })).not.toContain('class="timer');
  });
});
