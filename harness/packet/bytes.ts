/** Big-endian reads straight from the byte array: no DataView allocation per frame. */

export function u16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

export function u32(d: Uint8Array, o: number): number {
  return d[o] * 0x1000000 + ((d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]);
}

const HEX = '0123456789abcdef';

export function toHex(d: Uint8Array): string {
  let s = '';
  for (let i = 0; i < d.length; i++) s += HEX[d[i] >> 4] + HEX[d[i] & 15];
  return s;
}

export function hex16(v: number): string {
  return '0x' + v.toString(16).padStart(4, '0');
}
