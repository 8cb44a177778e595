/**
 * The vitest plugin that makes a .pkt script a test module: its transform turns the
 * script's path into a module that registers the script's tests through the
 * executor. Kept free of harness imports, since vitest.config.ts loads it.
 */
import { fileURLToPath } from 'node:url';

// the .pkt executor's entry, with the case API: one bundle serves both (harness/case-entry.ts)
const ENTRY = fileURLToPath(new URL('../case-entry.ts', import.meta.url));

export interface PacketdrillPlugin {
  name: string;
  enforce: 'pre';
  transform(code: string, id: string): { code: string; map: null } | null;
}

export function packetdrillPlugin(): PacketdrillPlugin {
  return {
    name: 'tcpladder-packetdrill',
    enforce: 'pre',
    transform(_code, id) {
      const path = id.split('?')[0];
      if (!path.endsWith('.pkt')) return null;
      return {
        code: `import { registerPacketdrillScript } from ${JSON.stringify(ENTRY)};\nregisterPacketdrillScript(${JSON.stringify(path)});\n`,
        map: null,
      };
    },
  };
}
