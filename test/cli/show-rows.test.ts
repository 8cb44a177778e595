import { describe, expect, it } from 'vitest';
import { SegmentRows, type ShowRow } from '../../harness/cli/show-rows.js';

const row = (i: number, extra: Partial<ShowRow> = {}): ShowRow => ({
  kind: 'segment',
  t: i * 0.001 + 1e-7,
  from: i % 2,
  to: 1 - (i % 2),
  flags: ['SYN', 'SYN ACK', 'ACK', 'PSH ACK'][i % 4]!,
  seq: 4294967295 - i,
  ack: i % 4 === 0 ? null : i * 1448,
  len: i % 3 === 0 ? 0 : 65535 + i,
  win: 65535,
  frame: i + 1,
  conn: 1 + (i % 5),
  ...extra,
});

describe('SegmentRows', () => {
  it('gives back every row as it came, through growth, with options, marks and notes where they were', () => {
    const rows: ShowRow[] = [];
    for (let i = 0; i < 1000; i++) {
      rows.push(
        i % 97 === 0
          ? row(i, { options: 'mss 1460,sackOK', marks: ['retransmission'], note: 'keep-alive' })
          : i % 89 === 0
            ? row(i, { note: 'previous segment not captured' })
            : row(i),
      );
    }
    const store = new SegmentRows();
    for (const r of rows) store.push(r);
    expect(store.length).toBe(1000);
    const back = store.toArray();
    expect(back).toEqual(rows);
    // absent fields stay absent rather than undefined
    expect(Object.keys(back[1]!).sort()).toEqual(Object.keys(rows[1]!).sort());
    expect(back[0]!.ack).toBeNull();
  });

  it('is empty to begin with', () => {
    expect(new SegmentRows().toArray()).toEqual([]);
  });
});
