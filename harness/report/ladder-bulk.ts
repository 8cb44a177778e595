/**
 * Bulk runs in a ladder: more than BULK_RUN data segments in a row from one sender,
 * with only bare ACKs coming back and nothing marked. Mermaid draws a run as one
 * message each way (ladder-mermaid.ts); a case's ladder.txt and ladder.svg keep the
 * first and the last segment each way, labelled with what was left out (shortenBulkRuns).
 * Every segment stays in wire.pcap and trace.json.
 */
import { formatTime } from './ladder-label.js';
import type { Ladder, LadderRow, LadderSegment } from './model.js';

/** A longer run of data segments from one sender is drawn shortened. */
export const BULK_RUN = 20;

/** A segment that may sit inside a bulk run: plain data, or a bare ACK, with nothing marked. */
function plain(row: LadderRow): row is LadderSegment {
  return row.kind === 'segment' && row.marks === undefined && (row.note === undefined || row.note === '');
}

function isData(row: LadderSegment): boolean {
  return row.len > 0 && (row.flags === 'ACK' || row.flags === 'PSH ACK');
}

function isBareAck(row: LadderSegment): boolean {
  return row.len === 0 && row.flags === 'ACK';
}

/**
 * The run of rows starting at rows[start] when it is a bulk run: data from its sender
 * and bare ACKs back, up to the first row that is neither. Null when rows[start] starts
 * no run longer than BULK_RUN data segments.
 */
export function bulkRunAt(rows: ReadonlyArray<LadderRow>, start: number): { end: number; data: LadderSegment[]; acks: LadderSegment[] } | null {
  const first = rows[start]!;
  if (!plain(first) || !isData(first)) return null;
  const data = [first];
  const acks: LadderSegment[] = [];
  let i = start + 1;
  for (; i < rows.length; i++) {
    const row = rows[i]!;
    if (!plain(row) || row.conn !== first.conn) break;
    if (row.from === first.from && row.to === first.to && isData(row)) data.push(row);
    else if (row.from === first.to && row.to === first.from && isBareAck(row)) acks.push(row);
    else break;
  }
  return data.length > BULK_RUN ? { end: i, data, acks } : null;
}

export function byteCount(n: number): string {
  if (n < 1000) return `${n} bytes`;
  return `${n} bytes (${n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`})`;
}

/** The ladder with each bulk run down to its first and last segment each way (the others counted in their labels). */
export function shortenBulkRuns(ladder: Ladder): Ladder {
  const rows: LadderRow[] = [];
  let shortened = false;
  for (let i = 0; i < ladder.rows.length; ) {
    const run = bulkRunAt(ladder.rows, i);
    if (!run) {
      rows.push(ladder.rows[i]!);
      i++;
      continue;
    }
    shortened = true;
    const { data, acks } = run;
    const lastData = data[data.length - 1]!;
    const sent = data.reduce((n, s) => n + s.len, 0);
    const kept = new Map<LadderSegment, string>([
      [data[0]!, `1st of ${data.length} data segments, ${byteCount(sent)} to seq=${lastData.seq + lastData.len} by t=${formatTime(lastData.t)}; wire.pcap has all`],
      [lastData, `last of ${data.length} data segments`],
    ]);
    if (acks.length > 0) {
      kept.set(acks[0]!, `1st of ${acks.length} ACKs`);
      if (acks.length > 1) kept.set(acks[acks.length - 1]!, `last of ${acks.length} ACKs`);
    }
    for (let k = i; k < run.end; k++) {
      const row = ladder.rows[k] as LadderSegment;
      const note = kept.get(row);
      if (note !== undefined) rows.push({ ...row, note });
    }
    i = run.end;
  }
  return shortened ? { ...ladder, rows } : ladder;
}
