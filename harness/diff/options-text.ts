/**
 * TCP options as one short, run-independent string: kinds in wire order, the
 * values that describe the stack (mss, wscale), timestamps as presence only,
 * opaque options (cookies, signatures) as name and length. SACK blocks are left
 * out with the NOPs that pad them: which blocks an ACK carries (and whether it
 * reports a duplicate, RFC 2883) depends on which segments raced, not on the
 * stack; sackOK on the SYNs shows whether SACK is on.
 */
import type { TraceOption } from '../trace/types.js';

function optionText(o: TraceOption): string {
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
    case 5:
      return 'sack';
    case 8:
      return 'ts';
    default:
      return `${o.name && o.name !== 'unknown' ? o.name : `kind${o.kind}`}/${o.length}`;
  }
}

/** The options without SACK blocks and the (up to two) NOPs just before each. */
function withoutSackBlocks(options: readonly TraceOption[]): TraceOption[] {
  const out: TraceOption[] = [];
  for (const o of options) {
    if (o.kind !== 5) {
      out.push(o);
      continue;
    }
    for (let pad = 0; pad < 2 && out.length && out[out.length - 1].kind === 1; pad++) out.pop();
  }
  return out;
}

/** "mss 1460,sackOK,ts,nop,wscale 7" */
export function optionsText(options: readonly TraceOption[]): string {
  return withoutSackBlocks(options).map(optionText).join(',');
}

/** Kinds only, for data blocks: "nop,nop,ts". */
export function optionsLayout(options: readonly TraceOption[]): string {
  return withoutSackBlocks(options)
    .map((o) => optionText({ ...o, mss: undefined, wscale: undefined }).replace(/\/\d+$/, ''))
    .join(',');
}
