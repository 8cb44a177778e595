// Address families that mean IPv6 on the BSDs, Linux and macOS; 2 is AF_INET everywhere.
function isInet6(fam: number): boolean {
  return fam === 10 || fam === 24 || fam === 28 || fam === 30;
}

/**
 * LINKTYPE_NULL / LINKTYPE_LOOP: a 4-byte address family word in the capturing host's
 * byte order (NULL) or network order (LOOP); both orders are accepted for both.
 * Returns the ethertype of the payload (0x0800 / 0x86dd), or 0 for another family.
 * The caller checks that 4 bytes are present.
 */
export function loopbackEtherType(d: Uint8Array): number {
  const le = (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
  const be = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
  if (le === 2 || be === 2) return 0x0800;
  if (isInet6(le) || isInet6(be)) return 0x86dd;
  return 0;
}

/** The family word as the capturing host most likely wrote it (the smaller reading). */
export function loopbackFamily(d: Uint8Array): number {
  const le = (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
  const be = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
  return Math.min(le, be);
}
