/** Does a decoded frame match a rule's pattern? (direction, flags, length, window, options) */
import { compare } from '../pattern/index.js';
import { flagNames, type DecodedFrame } from '../packet/index.js';
import type { FrameMatch } from './rule-spec.js';

type Opt = NonNullable<FrameMatch['mss']>;

function optionOk(spec: Opt | undefined, value: number | true | undefined): boolean {
  if (!spec) return true;
  if (spec.kind === 'present') return value !== undefined;
  if (spec.kind === 'absent') return value === undefined;
  return typeof value === 'number' && compare(spec.op, value, spec.value);
}

export function frameMatches(m: FrameMatch, f: DecodedFrame, from: number, to: readonly number[]): boolean {
  const tcp = f.tcp;
  if (!tcp) return false;
  if (m.from !== null && m.from !== from) return false;
  if (m.to !== null && !to.includes(m.to)) return false;
  const actual = flagNames(tcp.flags).split(' ').filter(Boolean);
  if (m.flags.some((x) => !actual.includes(x))) return false;
  if (actual.some((x) => !m.flags.includes(x) && !m.optionalFlags.includes(x))) return false;
  if (m.len && !compare(m.len.op, tcp.payloadLength, m.len.value)) return false;
  if (m.win && !compare(m.win.op, tcp.win, m.win.value)) return false;
  const opt = (name: string) => {
    const o = tcp.options.find((x) => x.name === name);
    return o ? (name === 'mss' ? o.mss : name === 'wscale' ? o.wscale : true) : undefined;
  };
  return optionOk(m.mss, opt('mss')) && optionOk(m.wscale, opt('wscale')) && optionOk(m.ts, opt('ts')) && optionOk(m.sackOK, opt('sackOK'));
}
