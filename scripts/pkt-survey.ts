/**
 * Which packetdrill constructs a folder of .pkt scripts uses, and which scripts the
 * parser refuses (with its one-line reason). Scripts parse with their folder's
 * tcpladder.json flags when there is one (its first variant).
 *
 *   node --import tsx scripts/pkt-survey.ts <folder or .pkt file>...
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { folderRuns, parsePacketdrill, scriptFeatures } from '../harness/packetdrill/index.js';

function pktFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? pktFiles(join(path, e.name)) : e.name.endsWith('.pkt') ? [join(path, e.name)] : []))
    .sort();
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  process.stderr.write('usage: node --import tsx scripts/pkt-survey.ts <folder or .pkt file>...\n');
  process.exit(2);
}
const files = paths.flatMap(pktFiles);
const uses = new Map<string, number>();
const refused: string[] = [];
for (const file of files) {
  try {
    const script = parsePacketdrill(readFileSync(file, 'utf8'), file, { flags: folderRuns(file)[0].flags });
    for (const f of scriptFeatures(script)) uses.set(f, (uses.get(f) ?? 0) + 1);
  } catch (e) {
    refused.push((e as Error).message);
  }
}

const width = Math.max(...[...uses.keys()].map((k) => k.length), 10);
process.stdout.write(`${files.length} scripts, ${files.length - refused.length} parsed, ${refused.length} refused\n\n`);
for (const [feature, n] of [...uses].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) process.stdout.write(`${feature.padEnd(width)}  ${n}\n`);
if (refused.length) process.stdout.write(`\nrefused:\n${refused.map((r) => `  ${r}`).join('\n')}\n`);
