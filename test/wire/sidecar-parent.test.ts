// The capture sidecar dies with the process that started it (PR_SET_PDEATHSIG). A parent
// that is already gone when the sidecar asks for that sends no signal, ever: the sidecar
// must notice, and exit at once without listening, instead of serving nobody forever.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tcpl-sidecar-parent-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Gone, or a zombie waiting for an init that reaps late: it runs no more. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * A shell starts the sidecar in the background, naming itself as the parent, and exits
 * at once: the sidecar needs far longer than that to load before it reaches its prctl.
 * Resolves with what the shell and the sidecar wrote to their shared stdout, once both
 * have closed it or the sidecar said it is ready, and the sidecar's pid.
 */
function orphanedSidecar(socket: string): Promise<{ out: string; pid: number }> {
  const cmd = `${JSON.stringify(process.execPath)} --import tsx harness/wire/sidecar.ts --socket ${socket} --die-with-parent $$ & echo "pid $!"`;
  const sh = spawn('sh', ['-c', cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  return new Promise((resolve) => {
    const done = () => resolve({ out, pid: Number(/pid (\d+)/.exec(out)?.[1]) });
    sh.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /pid (\d+)/.exec(out);
      if (m && !started.includes(Number(m[1]))) started.push(Number(m[1]));
      if (out.includes('ready')) done();
    });
    sh.stdout.on('close', done);
  });
}

describe('the capture sidecar and its parent', () => {
  it('a parent gone before PR_SET_PDEATHSIG: the sidecar exits at once, never listens, leaves no socket', async () => {
    const socket = join(dir, 'orphan.sock');
    writeFileSync(socket, ''); // what an earlier sidecar of the same parent pid left
    const { out, pid } = await orphanedSidecar(socket);
    // stdout closed: the sidecar has exited, and never said "ready"
    expect(out).not.toContain('ready');
    expect(pid).toBeGreaterThan(0);
    expect(ended(pid)).toBe(true);
    expect(existsSync(socket)).toBe(false);
  }, 20_000);

  it('a live parent: the sidecar serves (the same command with the right pid)', async () => {
    const socket = join(dir, 'served.sock');
    const sh = spawn(process.execPath, ['--import', 'tsx', 'harness/wire/sidecar.ts', '--socket', socket, '--die-with-parent', String(process.pid)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    started.push(sh.pid!);
    const ready = await new Promise<string>((resolve) => sh.stdout.setEncoding('utf8').once('data', resolve));
    expect(ready).toBe('ready\n');
    expect(existsSync(socket)).toBe(true);
    sh.kill('SIGTERM');
    await new Promise((r) => sh.once('exit', r));
    expect(existsSync(socket)).toBe(false);
  }, 20_000);
});
