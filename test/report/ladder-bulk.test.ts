import { describe, expect, it } from 'vitest';
import { BULK_RUN, renderLadderText, shortenBulkRuns, type Ladder, type LadderRow, type LadderSegment } from '../../harness/report/index.js';

function seg(t: number, from: number, to: number, flags: string, seq: number, ack: number | null, len = 0, more: Partial<LadderSegment> = {}): LadderSegment {
  return { kind: 'segment', t, from, to, flags, seq, ack, len, ...more };
}

/** a handshake's last ACK, n data segments from the server each acknowledged, then its FIN */
function bulk(n: number, marked?: number): Ladder {
  const rows: LadderRow[] = [seg(0.5, 0, 1, 'ACK', 1, 1)];
  for (let i = 0; i < n; i++) {
    const seq = 1 + i * 1000;
    rows.push(seg(1 + i * 0.001, 1, 0, 'ACK', seq, 1, 1000, i === marked ? { marks: ['retransmission'] } : {}));
    rows.push(seg(1 + i * 0.001 + 0.0005, 0, 1, 'ACK', 1, seq + 1000));
  }
  rows.push(seg(2, 1, 0, 'FIN ACK', 1 + n * 1000, 1));
  return { columns: [{ name: 'client' }, { name: 'server' }], rows };
}

describe('shortenBulkRuns', () => {
  it('keeps the first and last segment each way of a long run, counting the rest', () => {
    const rows = shortenBulkRuns(bulk(50)).rows as LadderSegment[];
    expect(rows.map((r) => [r.flags, r.seq, r.ack, r.note])).toEqual([
      ['ACK', 1, 1, undefined],
      ['ACK', 1, 1, '1st of 50 data segments, 50000 bytes (50.0 kB) to seq=50001 by t=1.049; wire.pcap has all'],
      ['ACK', 1, 1001, '1st of 50 ACKs'],
      ['ACK', 49001, 1, 'last of 50 data segments'],
      ['ACK', 1, 50001, 'last of 50 ACKs'],
      ['FIN ACK', 50001, 1, undefined],
    ]);
    expect(renderLadderText(shortenBulkRuns(bulk(50)))).toContain('[1st of 50 data segments');
  });

  it('leaves runs up to BULK_RUN data segments as they are', () => {
    const ladder = bulk(BULK_RUN);
    expect(shortenBulkRuns(ladder)).toBe(ladder);
  });

  it('never hides a marked segment: it ends a run and is drawn', () => {
    const rows = shortenBulkRuns(bulk(60, 30)).rows as LadderSegment[];
    expect(rows.filter((r) => r.marks?.includes('retransmission')).map((r) => r.seq)).toEqual([30001]);
    // the 30 before it make one run, the 29 after it another
    expect(rows.filter((r) => r.note?.startsWith('1st of')).map((r) => r.note!.split(',')[0])).toEqual(['1st of 30 data segments', '1st of 30 ACKs', '1st of 29 data segments', '1st of 29 ACKs']);
  });
});
