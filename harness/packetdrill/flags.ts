/**
 * packetdrill's flags (its config.c): written as `--name=value` in a script's header,
 * in a folder's tcpladder.json, or on a command line. Later settings win, and -D
 * definitions add up, as when packetdrill's command line follows a script's own flags.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import type { FlagSetting } from './ast.js';
import { scriptError } from './script-error.js';

export const IP_VERSIONS = ['ipv4', 'ipv6', 'ipv4-mapped-ipv6'] as const;

export const PacketdrillOptions = z
  .object({
    /** absent: the script does not fix it (the executor picks, e.g. one run per family) */
    ipVersion: z.enum(IP_VERSIONS).optional(),
    bindPort: z.number().int().min(1).max(65535),
    connectPort: z.number().int().min(1).max(65535),
    localIp: z.string().optional(),
    remoteIp: z.string().optional(),
    gatewayIp: z.string().optional(),
    netmaskIp: z.string().optional(),
    mss: z.number().int().positive().optional(),
    mtu: z.number().int().min(0).optional(),
    speed: z.number().int().min(0).optional(),
    /** timing slack: the larger of toleranceUsecs and tolerancePercent of the interval */
    toleranceUsecs: z.number().int().positive(),
    tolerancePercent: z.number().min(0).max(100),
    /** shell commands run before the script */
    initScripts: z.array(z.string()),
    /** -D NAME=VALUE: the word NAME in the script stands for VALUE */
    defines: z.record(z.string(), z.string()),
    tcpTsEcrScaled: z.boolean(),
    /** µs per TS val tick; 0 leaves outbound TS val unchecked */
    tcpTsTickUsecs: z.number().int().min(0).max(1_000_000),
    strictSegments: z.boolean(),
    nonFatal: z.array(z.enum(['packet', 'syscall'])),
    sendOmitFree: z.boolean(),
    dryRun: z.boolean(),
    isAnyip: z.boolean(),
    verbose: z.boolean(),
    debug: z.boolean(),
    codeCommand: z.string(),
    codeFormat: z.string(),
    codeSockopt: z.string().optional(),
  })
  .strict();
export type PacketdrillOptions = z.infer<typeof PacketdrillOptions>;

export const DEFAULT_OPTIONS: PacketdrillOptions = {
  bindPort: 8080,
  connectPort: 8080,
  toleranceUsecs: 4000,
  tolerancePercent: 12.5,
  initScripts: [],
  defines: {},
  tcpTsEcrScaled: false,
  tcpTsTickUsecs: 0,
  strictSegments: false,
  nonFatal: [],
  sendOmitFree: false,
  dryRun: false,
  isAnyip: false,
  verbose: false,
  debug: false,
  codeCommand: 'python3',
  codeFormat: 'python',
};

type Setter = (value: string, o: PacketdrillOptions) => string | void;

function int(key: keyof PacketdrillOptions, min: number, max: number): Setter {
  return (v, o) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) return `expected an integer from ${min} to ${max}, got "${v}"`;
    (o as Record<string, unknown>)[key] = Number(v);
  };
}

function ip(key: 'localIp' | 'remoteIp' | 'gatewayIp' | 'netmaskIp', prefix: boolean): Setter {
  return (v, o) => {
    const [addr, len, extra] = v.split('/');
    const family = isIP(addr);
    const maxLen = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (len !== undefined && (!prefix || !/^[0-9]+$/.test(len) || Number(len) > maxLen))) {
      return `expected an IP address${prefix ? ' (optionally /prefix length)' : ''}, got "${v}"`;
    }
    o[key] = v;
  };
}

const text =
  (key: 'codeCommand' | 'codeFormat' | 'codeSockopt'): Setter =>
  (v, o) => void (o[key] = v);

function define(v: string, o: PacketdrillOptions): string | void {
  const eq = v.indexOf('=');
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.slice(0, eq))) return `expected NAME=VALUE, got "${v}"`;
  o.defines = { ...o.defines, [v.slice(0, eq)]: v.slice(eq + 1) };
}

/** flags that take a value */
const WITH_VALUE: Record<string, Setter> = {
  ip_version: (v, o) => {
    if (!(IP_VERSIONS as readonly string[]).includes(v)) return `expected ${IP_VERSIONS.join(', ')}, got "${v}"`;
    o.ipVersion = v as PacketdrillOptions['ipVersion'];
  },
  bind_port: int('bindPort', 1, 65535),
  connect_port: int('connectPort', 1, 65535),
  local_ip: ip('localIp', false),
  remote_ip: ip('remoteIp', true),
  gateway_ip: ip('gatewayIp', false),
  netmask_ip: ip('netmaskIp', false),
  mss: int('mss', 1, 65535),
  mtu: int('mtu', 0, 65535),
  speed: int('speed', 0, 0xffffffff),
  init_scripts: (v, o) => void (o.initScripts = v.split(',').filter((s) => s !== '')),
  tolerance_usecs: int('toleranceUsecs', 1, Number.MAX_SAFE_INTEGER),
  tolerance_percent: (v, o) => {
    if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(v) || Number(v) > 100) return `expected a percentage from 0 to 100, got "${v}"`;
    o.tolerancePercent = Number(v);
  },
  tcp_ts_tick_usecs: int('tcpTsTickUsecs', 0, 1_000_000),
  non_fatal: (v, o) => {
    const kinds = v.split(/[, ]+/).filter((s) => s !== '');
    const bad = kinds.find((k) => k !== 'packet' && k !== 'syscall');
    if (bad !== undefined) return `expected packet and/or syscall, got "${bad}"`;
    o.nonFatal = [...new Set([...o.nonFatal, ...(kinds as ('packet' | 'syscall')[])])];
  },
  code_command: text('codeCommand'),
  code_format: text('codeFormat'),
  code_sockopt: text('codeSockopt'),
  define,
};

/** flags without a value */
const SWITCHES: Record<string, (o: PacketdrillOptions) => void> = {
  tcp_ts_ecr_scaled: (o) => void (o.tcpTsEcrScaled = true),
  strict_segments: (o) => void (o.strictSegments = true),
  send_omit_free: (o) => void (o.sendOmitFree = true),
  dry_run: (o) => void (o.dryRun = true),
  is_anyip: (o) => void (o.isAnyip = true),
  verbose: (o) => void (o.verbose = true),
  debug: (o) => void (o.debug = true),
};

/** packetdrill flags that only make sense for packetdrill's own machinery */
const UNSUPPORTED: Record<string, string> = {
  wire_client: 'tcpladder is the wire: there is no remote wire server',
  wire_server: 'tcpladder is the wire: there is no remote wire server',
  wire_server_ip: 'tcpladder is the wire: there is no remote wire server',
  wire_server_at: 'tcpladder is the wire: there is no remote wire server',
  wire_server_port: 'tcpladder is the wire: there is no remote wire server',
  wire_client_dev: 'tcpladder is the wire: there is no remote wire server',
  wire_server_dev: 'tcpladder is the wire: there is no remote wire server',
  so_filename: 'packetdrill loads a user-space stack from a shared object; tcpladder runs kernel stacks',
  so_flags: 'packetdrill loads a user-space stack from a shared object; tcpladder runs kernel stacks',
};

function flagError(where: FlagSetting['where'], what: string): InputError {
  return where.line !== undefined ? scriptError(where.file, where.line, what) : new InputError(what, { file: where.file, field: where.field });
}

/** The options in force after these settings, in order (later wins). */
export function resolveOptions(settings: readonly FlagSetting[]): PacketdrillOptions {
  const o: PacketdrillOptions = structuredClone(DEFAULT_OPTIONS);
  for (const s of settings) {
    const flag = `--${s.name}`;
    if (s.name in UNSUPPORTED) throw flagError(s.where, `unsupported: ${flag} (${UNSUPPORTED[s.name]})`);
    const sw = SWITCHES[s.name];
    const set = WITH_VALUE[s.name];
    if (!sw && !set) throw flagError(s.where, `unknown flag ${flag}`);
    if (sw) {
      if (s.value !== undefined) throw flagError(s.where, `${flag} takes no value`);
      sw(o);
    } else {
      if (s.value === undefined) throw flagError(s.where, `${flag} needs a value (${flag}=…)`);
      const problem = set(s.value, o);
      if (problem) throw flagError(s.where, `${flag}: ${problem}`);
    }
  }
  return PacketdrillOptions.parse(o);
}

/**
 * Flags as on packetdrill's command line: `--name=value`, `--name value`, `-D NAME=VALUE`,
 * `-DNAME=VALUE`, `-v`. Each entry is split at white space first, as the shell splits
 * an unquoted list (kernel runners keep `-D NAME=VALUE` in one array entry).
 */
export function parseFlagArgs(args: readonly string[], where: { file: string; field?: string }): FlagSetting[] {
  const words: { word: string; field?: string }[] = [];
  args.forEach((a, i) => {
    for (const word of a.split(/\s+/).filter((w) => w !== '')) words.push({ word, field: where.field !== undefined ? `${where.field}[${i}]` : undefined });
  });
  const out: FlagSetting[] = [];
  for (let i = 0; i < words.length; i++) {
    const { word, field } = words[i];
    const at = { file: where.file, field };
    const takeNext = (flag: string): string => {
      const v = words[++i];
      if (!v) throw flagError(at, `${flag} needs a value`);
      return v.word;
    };
    if (word === '-v') out.push({ name: 'verbose', where: at });
    else if (word === '-D') out.push({ name: 'define', value: takeNext('-D'), where: at });
    else if (word.startsWith('-D')) out.push({ name: 'define', value: word.slice(2), where: at });
    else if (/^--[A-Za-z0-9_]+(=|$)/.test(word)) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const value = eq >= 0 ? word.slice(eq + 1) : name in WITH_VALUE ? takeNext(`--${name}`) : undefined;
      out.push({ name, value, where: at });
    } else throw flagError(at, `expected a flag (--name=value, -D NAME=VALUE), got "${word}"`);
  }
  return out;
}
