/**
 * The segment rows of `tcpladder show`, kept as columns of numbers until a ladder is
 * drawn: a million row objects kept alive cost more in garbage collection than
 * drawing them does.
 */
import type { LadderSegment } from '../report/index.js';

/** A row as show makes it: window, frame and connection always known. */
export type ShowRow = LadderSegment & { win: number; frame: number; conn: number };

type Extras = Pick<LadderSegment, 'options' | 'marks' | 'note'>;

export class SegmentRows {
  length = 0;
  private capacity = 64;
  private t = new Float64Array(this.capacity);
  private from = new Uint32Array(this.capacity);
  private to = new Uint32Array(this.capacity);
  private flags = new Uint16Array(this.capacity);
  private seq = new Float64Array(this.capacity);
  /** NaN: no ACK */
  private ack = new Float64Array(this.capacity);
  private len = new Float64Array(this.capacity);
  private win = new Float64Array(this.capacity);
  private frame = new Float64Array(this.capacity);
  private conn = new Float64Array(this.capacity);
  /** options, marks and notes of the few rows that have any, by row */
  private extras = new Map<number, Extras>();
  /** flag texts ("SYN ACK"…): a capture has a handful */
  private flagTexts: string[] = [];
  private flagIds = new Map<string, number>();

  push(row: ShowRow): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.t[i] = row.t;
    this.from[i] = row.from;
    this.to[i] = row.to;
    this.flags[i] = this.flagId(row.flags);
    this.seq[i] = row.seq;
    this.ack[i] = row.ack === null ? NaN : row.ack;
    this.len[i] = row.len;
    this.win[i] = row.win;
    this.frame[i] = row.frame;
    this.conn[i] = row.conn;
    if (row.options !== undefined || row.marks !== undefined || row.note !== undefined) {
      const extras: Extras = {};
      if (row.options !== undefined) extras.options = row.options;
      if (row.marks !== undefined) extras.marks = row.marks;
      if (row.note !== undefined) extras.note = row.note;
      this.extras.set(i, extras);
    }
  }

  /** The rows as objects again, in the order they came. */
  toArray(): ShowRow[] {
    const rows = new Array<ShowRow>(this.length);
    for (let i = 0; i < this.length; i++) {
      const ack = this.ack[i];
      const row: ShowRow = {
        kind: 'segment',
        t: this.t[i],
        from: this.from[i],
        to: this.to[i],
        flags: this.flagTexts[this.flags[i]],
        seq: this.seq[i],
        ack: ack !== ack ? null : ack,
        len: this.len[i],
        win: this.win[i],
        frame: this.frame[i],
        conn: this.conn[i],
      };
      const extras = this.extras.get(i);
      if (extras !== undefined) Object.assign(row, extras);
      rows[i] = row;
    }
    return rows;
  }

  private flagId(flags: string): number {
    let id = this.flagIds.get(flags);
    if (id === undefined) {
      id = this.flagTexts.length; // at most 4096: one per combination of 12 flag bits
      this.flagTexts.push(flags);
      this.flagIds.set(flags, id);
    }
    return id;
  }

  private grow(): void {
    const n = (this.capacity *= 2);
    const bigger = <T extends Float64Array | Uint32Array | Uint16Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.t = bigger(this.t, Float64Array);
    this.from = bigger(this.from, Uint32Array);
    this.to = bigger(this.to, Uint32Array);
    this.flags = bigger(this.flags, Uint16Array);
    this.seq = bigger(this.seq, Float64Array);
    this.ack = bigger(this.ack, Float64Array);
    this.len = bigger(this.len, Float64Array);
    this.win = bigger(this.win, Float64Array);
    this.frame = bigger(this.frame, Float64Array);
    this.conn = bigger(this.conn, Float64Array);
  }
}
