/**
 * TCP options as one short, run-independent string: kinds in wire order, the
 * values that describe the stack (mss, wscale), timestamps as presence only, SACK
 * blocks relative to the acknowledged side's ISN, opaque options (cookies,
 * signatures) as name and length.
 */
import type { TraceOption } from '../trace/types.js';

function optionText(o: TraceOption, sackBase: number | null): string {
  switch (o.kind) {
    case 0:
      return 'eol';
    case 1:
      return 'nop';
    case 2:
      return o.mss === undefined ? `mss/${o.length}` : `mss ${o.mss}`;
    case 3:
      return o.wscale === undefined ? `wscale/${o.length}` : `wscale ${o.wscale}`;
    case 4:
      return 'sackOK';
    case 5: {
      if (!o.sack || sackBase === null) return 'sack';
      const rel = o.sack.map((v) => (v - sackBase) >>> 0);
      const blocks: string[] = [];
      for (let i = 0; i + 1 < rel.length; i += 2) blocks.push(`${rel[i]}-${rel[i + 1]}`);
      return `sack ${blocks.join(' ')}`;
    }
    case 8:
      return 'ts';
    default:
      return `${o.name && o.name !== 'unknown' ? o.name : `kind${o.kind}`}/${o.length}`;
  }
}

/** "mss 1460,sackOK,ts,nop,wscale 7"; `sackBase` is the ISN the segment's ack field counts from. */
export function optionsText(options: readonly TraceOption[], sackBase: number | null): string {
  return options.map((o) => optionText(o, sackBase)).join(',');
}

/** Kinds only, for data blocks: "nop,nop,ts", "nop,nop,sack". */
export function optionsLayout(options: readonly TraceOption[]): string {
  return options.map((o) => optionText({ ...o, mss: undefined, wscale: undefined, sack: undefined }, null).replace(/\/\d+$/, '')).join(',');
}
