/** Runs `node bin/tcpladder.js …` as a user would, into its own run folder. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh run: none of the outer run's variables, `runDir` as its folder. */
export function cliEnv(runDir?: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['TCPLADDER_RUN', 'TCPLADDER_RUN_DIR', 'TCPLADDER_CASES_ONLY', 'TCPLADDER_CLI', 'TCPLADDER_COLOR', 'TCPLADDER_QUIET', 'TCPLADDER_POOL', 'TCPLADDER_STACK', 'TCPLADDER_HOST_STACKS', 'TCPLADDER_LINE_PREFIX', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_OPTIONS']) delete env[k];
  if (runDir) env.TCPLADDER_RUN_DIR = runDir;
  return env;
}

export function tcpladder(args: string[], env: NodeJS.ProcessEnv = cliEnv()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tcpladder.js', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
