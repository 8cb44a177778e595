/**
 * The classic BPF program that lets a wire namespace's packet socket see only its
 * ports' frames: on each port, frames whose source MAC is one of that port's. The
 * kernel runs it before a frame is queued, so nothing else costs the sidecar a copy.
 */

export interface PortFilterRule {
  /** interface index in the wire namespace */
  ifindex: number;
  /** frames from these source MACs are kept */
  macs: string[];
  /** bytes kept of each (a count-only port needs one) */
  snap: number;
}

const LD_W_ABS = 0x20;
const LD_H_ABS = 0x28;
const JEQ_K = 0x15;
const RET_K = 0x06;
/** SKF_AD_OFF + SKF_AD_IFINDEX: the ancillary word holding the interface index */
const AD_IFINDEX = (-0x1000 + 8) >>> 0;

type Insn = [code: number, jt: number, jf: number, k: number];

export function macWords(mac: string): { hi: number; lo: number } {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  return { hi: ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, lo: (b[4] << 8) | b[5] };
}

/** struct sock_filter[] for `rules`; interfaces not named are dropped whole. */
export function portFilter(rules: PortFilterRule[]): Buffer {
  const prog: Insn[] = [[LD_W_ABS, 0, 0, AD_IFINDEX]];
  for (const r of rules) {
    if (r.ifindex <= 0 || r.macs.length === 0) continue;
    // per MAC: source address bytes 6..9 then 10..11; a mismatch goes on to the next MAC
    const perMac = 5;
    prog.push([JEQ_K, 0, perMac * r.macs.length + 1, r.ifindex]);
    for (const mac of r.macs) {
      const { hi, lo } = macWords(mac);
      prog.push([LD_W_ABS, 0, 0, 6], [JEQ_K, 0, 3, hi], [LD_H_ABS, 0, 0, 10], [JEQ_K, 0, 1, lo], [RET_K, 0, 0, r.snap]);
    }
    prog.push([RET_K, 0, 0, 0]);
  }
  prog.push([RET_K, 0, 0, 0]);
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out[i * 8 + 2] = jt;
    out[i * 8 + 3] = jf;
    out.writeUInt32LE(k, i * 8 + 4);
  });
  return out;
}
