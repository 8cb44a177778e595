import { u16, u32 } from './bytes.js';
import type { TcpOption } from './types.js';

export const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackOK',
  5: 'sack',
  8: 'ts',
  19: 'md5',
  29: 'ao',
  30: 'mptcp',
  34: 'fastopen',
  253: 'exp',
  254: 'exp',
};

export const OPTION_KINDS: Readonly<Record<string, number>> = {
  eol: 0,
  nop: 1,
  mss: 2,
  wscale: 3,
  sackOK: 4,
  sack: 5,
  ts: 8,
  md5: 19,
  ao: 29,
  mptcp: 30,
  fastopen: 34,
  exp: 253,
};

export function optionName(kind: number): string {
  return OPTION_NAMES[kind] ?? 'unknown';
}

/** Lengths a structured option must have; undefined = any length >= 2 is fine. */
function expectedLength(kind: number, len: number): string | null {
  switch (kind) {
    case 2:
      return len === 4 ? null : '4';
    case 3:
      return len === 3 ? null : '3';
    case 4:
      return len === 2 ? null : '2';
    case 5:
      return len >= 10 && (len - 2) % 8 === 0 ? null : '2 + 8n (n >= 1)';
    case 8:
      return len === 10 ? null : '10';
    case 19:
      return len === 18 ? null : '18';
    case 29:
      return len >= 4 ? null : '>= 4';
    case 30:
      return len >= 3 ? null : '>= 3';
    default:
      return null;
  }
}

const EOL: TcpOption = Object.freeze({ kind: 0, name: 'eol', length: 1 }) as TcpOption;
const NOP: TcpOption = Object.freeze({ kind: 1, name: 'nop', length: 1 }) as TcpOption;

/**
 * Decodes TCP options in d[start, end) into out. Returns null, or the reason the
 * option list is malformed; options decoded before the fault are kept.
 * Like tshark, decoding goes on after an EOL (zero padding shows up as more EOLs);
 * unlike tshark, bytes after an EOL never make the frame malformed, since receivers
 * ignore them (RFC 9293 §3.1): a fault there just ends the list.
 * EOL and NOP are shared frozen objects.
 */
export function decodeTcpOptions(d: Uint8Array, start: number, end: number, out: TcpOption[]): string | null {
  let p = start;
  let reason: string | null = null;
  let afterEol = false;
  while (p < end) {
    const kind = d[p];
    if (kind === 1) {
      out.push(NOP);
      p++;
      continue;
    }
    if (kind === 0) {
      out.push(EOL);
      afterEol = true;
      p++;
      continue;
    }
    let fault: string | null = null;
    if (p + 1 >= end) fault = `tcp option ${kind} at header byte ${p - start + 20} has no length byte`;
    const len = fault === null ? d[p + 1] : 0;
    if (fault === null && len < 2) fault = `tcp option ${kind} length ${len} < 2`;
    if (fault === null && p + len > end) fault = `tcp option ${kind} length ${len} runs past the header (${end - p} bytes left)`;
    if (fault !== null) return afterEol ? reason : fault;
    const bad = expectedLength(kind, len);
    if (bad !== null) {
      if (!afterEol) reason ??= `tcp option ${kind} (${optionName(kind)}) length ${len}, expected ${bad}`;
      out.push({ kind, name: optionName(kind), length: len, raw: d.subarray(p + 2, p + len) });
      p += len;
      continue;
    }
    switch (kind) {
      case 2:
        out.push({ kind, name: 'mss', length: len, mss: u16(d, p + 2) });
        break;
      case 3:
        out.push({ kind, name: 'wscale', length: len, wscale: d[p + 2] });
        break;
      case 4:
        out.push({ kind, name: 'sackOK', length: len });
        break;
      case 5: {
        const sack: number[] = [];
        for (let q = p + 2; q < p + len; q += 4) sack.push(u32(d, q));
        out.push({ kind, name: 'sack', length: len, sack });
        break;
      }
      case 8:
        out.push({ kind, name: 'ts', length: len, tsval: u32(d, p + 2), tsecr: u32(d, p + 6) });
        break;
      case 30:
        out.push({ kind, name: 'mptcp', length: len, raw: d.subarray(p + 2, p + len), subtype: d[p + 2] >> 4 });
        break;
      case 253:
      case 254: {
        const o: TcpOption = { kind, name: 'exp', length: len, raw: d.subarray(p + 2, p + len) };
        if (len >= 4) o.exid = u16(d, p + 2);
        out.push(o);
        break;
      }
      default:
        out.push({ kind, name: optionName(kind), length: len, raw: d.subarray(p + 2, p + len) });
    }
    p += len;
  }
  return reason;
}
