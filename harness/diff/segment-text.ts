/** One normalised segment as text: "client > server SYN ACK seq=0 ack=1 win=65160 <mss 1460,…>". */
import type { BundleSegment } from './bundle-schema.js';

/** Everything after the direction: flags, numbers, options, marks. A data block reads "ACK data seq=1 len=102400 max=1448 <nop,nop,ts>". */
export function segmentBody(s: BundleSegment, showConn = false): string {
  const parts: string[] = [];
  if (showConn) parts.push(`#${s.conn}`);
  if (s.flags) parts.push(s.flags);
  if (s.data) parts.push('data');
  parts.push(`seq=${s.seq}`);
  if (s.ack !== undefined) parts.push(`ack=${s.ack}`);
  if (s.len || s.data) parts.push(`len=${s.len}`);
  if (s.data) parts.push(`max=${s.data.maxLen}`);
  if (s.win !== undefined) parts.push(`win=${s.win}`);
  if (s.opts) parts.push(`<${s.opts}>`);
  for (const m of s.marks ?? []) parts.push(`[${m}]`);
  return parts.join(' ');
}

export function segmentText(s: BundleSegment, showConn = false, width = 0): string {
  return `${`${s.from} > ${s.to}`.padEnd(width)} ${segmentBody(s, showConn)}`;
}
