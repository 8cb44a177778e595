/**
 * A folder's tcpladder.json: the flags its scripts run with, as their runner passes
 * them on packetdrill's command line (the kernel's ksft_runner.sh runs every script
 * once with IPv4 flags and once with IPv6 flags; google's run_all.py once per IP
 * version). The nearest tcpladder.json in the script's folder or above it applies.
 *
 *   { "packetdrill": {
 *       "flags": ["--tolerance_usecs=10000"],
 *       "variants": { "ipv4": ["--ip_version=ipv4", "-D CMSG_LEVEL_IP=SOL_IP"],
 *                     "ipv6": ["--ip_version=ipv6", "--mtu=1520", "-D CMSG_LEVEL_IP=SOL_IPV6"] } } }
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { fieldName, InputError } from '../input-error.js';
import type { FlagSetting } from './ast.js';
import { parseFlagArgs, resolveOptions } from './flags.js';

export const CONFIG_FILE = 'tcpladder.json';

const FlagList = z.array(z.string());

export const FolderConfigFile = z
  .object({
    packetdrill: z
      .object({
        /** flags for every run of every script in the folder */
        flags: FlagList.optional(),
        /** one run per variant, each with these flags added; no variants: one run */
        variants: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'variant names are letters, digits, _ . -'), FlagList).optional(),
      })
      .strict(),
  })
  .strict();
export type FolderConfigFile = z.infer<typeof FolderConfigFile>;

/** One way to run a folder's scripts: a name ('' when the folder has no variants) and its flags in order. */
export interface ScriptRun {
  name: string;
  flags: FlagSetting[];
}

/** Parse and check a tcpladder.json; flag errors name the file and the entry. */
export function parseFolderConfig(text: string, file: string): ScriptRun[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file });
  }
  const parsed = FolderConfigFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue.message, { file, field: fieldName(issue.path) });
  }
  const { flags = [], variants } = parsed.data.packetdrill;
  const common = parseFlagArgs(flags, { file, field: 'packetdrill.flags' });
  const runs: ScriptRun[] = variants
    ? Object.entries(variants).map(([name, list]) => ({ name, flags: [...common, ...parseFlagArgs(list, { file, field: `packetdrill.variants.${name}` })] }))
    : [{ name: '', flags: common }];
  if (runs.length === 0) throw new InputError('is empty: give at least one variant, or leave variants out', { file, field: 'packetdrill.variants' });
  // every flag is checked now, not when the first script runs
  for (const run of runs) resolveOptions(run.flags);
  return runs;
}

/** The nearest tcpladder.json at or above the script's folder, or undefined. */
export function findFolderConfig(scriptPath: string): string | undefined {
  let dir = dirname(resolve(scriptPath));
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The runs a script gets from its folder's tcpladder.json (one run with no flags when there is none). */
export function folderRuns(scriptPath: string): ScriptRun[] {
  const file = findFolderConfig(scriptPath);
  return file ? parseFolderConfig(readFileSync(file, 'utf8'), file) : [{ name: '', flags: [] }];
}
