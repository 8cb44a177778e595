/**
 * The guest pool process:
 *   node pool.mjs --socket PATH --die-with-parent PID --agent AGENT.mjs --uml-init INIT.sh [--prewarm uml=2,gvisor=1]
 * It writes one line to stdout when it listens. Everything it makes is named
 * tcpl-<run>-<its pid>-… and goes when it ends (SIGTERM, SIGINT, SIGHUP, its parent's death).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { dieWithParent } from '../../sockets/libc.js';
import { registerOwner, resourceName, unregisterOwner, STATE_DIR } from '../../topology/owner.js';
import { GuestPool } from './server.js';
import type { GuestStack } from '../types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const socketPath = arg('--socket');
const agent = arg('--agent');
const umlInit = arg('--uml-init');
if (!socketPath || !agent || !umlInit) {
  process.stderr.write('pool: --socket PATH, --agent FILE and --uml-init FILE are required\n');
  process.exit(2);
}
const parent = arg('--die-with-parent');
if (parent !== undefined && !dieWithParent(Number(parent))) {
  process.stderr.write(`pool: its parent ${parent} is gone\n`);
  process.exit(1);
}
registerOwner();
const dir = join(STATE_DIR, 'guests', String(process.pid));
const pool = new GuestPool(resourceName(), { dir, parkNs: resourceName('park'), agent, umlInit });

let stopping: Promise<void> | null = null;
function stop(code: number): void {
  stopping ??= pool
    .stop()
    .catch((e) => void process.stderr.write(`pool: ${(e as Error).message}\n`))
    .finally(() => {
      rmSync(socketPath!, { force: true });
      rmSync(dir, { recursive: true, force: true });
      unregisterOwner();
      process.exit(code);
    });
}
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(0));
process.on('uncaughtException', (e) => {
  process.stderr.write(`pool: ${e.stack ?? e}\n`);
  stop(1);
});

rmSync(socketPath, { force: true });
await pool.listen(socketPath);
for (const part of (arg('--prewarm') ?? '').split(',').filter(Boolean)) {
  const [stack, count] = part.split('=');
  pool.prewarm(stack as GuestStack, Number(count) || 1);
}
process.stdout.write('listening\n');
