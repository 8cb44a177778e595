/**
 * JSON that reads well and diffs well: small objects and arrays (a segment, a
 * socket's states) on one line, bigger ones one member per line. Deterministic.
 */
const INLINE_WIDTH = 140;

export function jsonText(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || flat.length + indent.length <= INLINE_WIDTH) return flat;
  const inner = indent + ' ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + jsonText(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${jsonText(v, inner)}`).join(',\n')}\n${indent}}`;
}
