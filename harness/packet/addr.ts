/** Address formatting and parsing: MAC, IPv4 dotted quad, IPv6 per RFC 5952. */

const HEX2: string[] = [];
const DEC: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX2.push(i.toString(16).padStart(2, '0'));
  DEC.push(String(i));
}

// Captures repeat a handful of addresses millions of times. Small direct-mapped caches
// (compare the bytes, return the same string) avoid building the same strings again.
const CACHE_SIZE = 1024;
const macHi = new Int32Array(CACHE_SIZE).fill(-1);
const macLo = new Int32Array(CACHE_SIZE);
const macStr: string[] = new Array<string>(CACHE_SIZE).fill('');

export function formatMac(d: Uint8Array, o: number): string {
  const hi = (d[o] << 8) | d[o + 1];
  const lo = (d[o + 2] << 24) | (d[o + 3] << 16) | (d[o + 4] << 8) | d[o + 5];
  const i = (lo ^ (lo >>> 10) ^ (lo >>> 20) ^ hi) & (CACHE_SIZE - 1);
  if (macHi[i] === hi && macLo[i] === lo) return macStr[i];
  const s =
    HEX2[d[o]] + ':' + HEX2[d[o + 1]] + ':' + HEX2[d[o + 2]] + ':' +
    HEX2[d[o + 3]] + ':' + HEX2[d[o + 4]] + ':' + HEX2[d[o + 5]];
  macHi[i] = hi;
  macLo[i] = lo;
  macStr[i] = s;
  return s;
}

const v4Key = new Int32Array(CACHE_SIZE);
const v4Str: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);

export function formatIpv4(d: Uint8Array, o: number): string {
  const key = (d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3];
  const i = (key ^ (key >>> 10) ^ (key >>> 20)) & (CACHE_SIZE - 1);
  const hit = v4Str[i];
  if (hit !== undefined && v4Key[i] === key) return hit;
  const s = DEC[d[o]] + '.' + DEC[d[o + 1]] + '.' + DEC[d[o + 2]] + '.' + DEC[d[o + 3]];
  v4Key[i] = key;
  v4Str[i] = s;
  return s;
}

const v6Key = new Int32Array(CACHE_SIZE * 4);
const v6Str: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);

export function formatIpv6(d: Uint8Array, o: number): string {
  const a = (d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3];
  const b = (d[o + 4] << 24) | (d[o + 5] << 16) | (d[o + 6] << 8) | d[o + 7];
  const c = (d[o + 8] << 24) | (d[o + 9] << 16) | (d[o + 10] << 8) | d[o + 11];
  const e = (d[o + 12] << 24) | (d[o + 13] << 16) | (d[o + 14] << 8) | d[o + 15];
  const h = a ^ b ^ c ^ e;
  const i = (h ^ (h >>> 10) ^ (h >>> 20)) & (CACHE_SIZE - 1);
  const hit = v6Str[i];
  const k = i * 4;
  if (hit !== undefined && v6Key[k] === a && v6Key[k + 1] === b && v6Key[k + 2] === c && v6Key[k + 3] === e) return hit;
  const s = ipv6Text(d, o);
  v6Key[k] = a;
  v6Key[k + 1] = b;
  v6Key[k + 2] = c;
  v6Key[k + 3] = e;
  v6Str[i] = s;
  return s;
}

/**
 * RFC 5952: lower case, no leading zeros, the longest run (first on a tie) of two or
 * more zero groups becomes "::". Like inet_ntop (and so tshark), IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses end in dotted quad.
 */
function ipv6Text(d: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (d[o + 2 * i] === 0 && d[o + 2 * i + 1] === 0) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  let embedV4 = false;
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && d[o + 10] === 0xff && d[o + 11] === 0xff))) {
    embedV4 = true;
  }
  let s = '';
  const groups = embedV4 ? 6 : 8;
  for (let i = 0; i < groups; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += ((d[o + 2 * i] << 8) | d[o + 2 * i + 1]).toString(16);
  }
  if (embedV4) {
    if (!s.endsWith(':')) s += ':';
    s += DEC[d[o + 12]] + '.' + DEC[d[o + 13]] + '.' + DEC[d[o + 14]] + '.' + DEC[d[o + 15]];
  }
  return s;
}

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  let str = s;
  const zone = str.indexOf('%');
  if (zone >= 0) str = str.slice(0, zone);
  let tailV4: Uint8Array | null = null;
  const lastColon = str.lastIndexOf(':');
  if (lastColon >= 0 && str.indexOf('.', lastColon) >= 0) {
    tailV4 = parseIpv4(str.slice(lastColon + 1));
    if (!tailV4) return null;
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = str.indexOf('::');
  if (dbl >= 0 && str.indexOf('::', dbl + 1) >= 0) return null;
  const side = (x: string): string[] | null => {
    if (x === '') return [];
    const g = x.split(':');
    for (const p of g) if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
    return g;
  };
  let groups: string[];
  if (dbl >= 0) {
    const head = side(str.slice(0, dbl));
    const tail = side(str.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  } else {
    const all = side(str);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const v = parseInt(groups[i], 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (tailV4) out.set(tailV4, 12);
  return out;
}

/** Parses an IPv4 or IPv6 address; the family follows from the string. Throws on garbage. */
export function parseIp(s: string): Uint8Array {
  const r = s.includes(':') ? parseIpv6(s) : parseIpv4(s);
  if (!r) throw new TypeError(`not an IP address: ${JSON.stringify(s)}`);
  return r;
}

export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(s)}`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}
