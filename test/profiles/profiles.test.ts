/** Profiles: the files in cases/profiles/, validation messages, per-host resolution, the CLI's exit 2. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadProfile, loadProfiles, parseProfile, profileNames, resolveHostProfiles, WATCHED_SYSCTLS, type KernelSysctl } from '../../harness/profiles/index.js';
import { InputError } from '../../harness/input-error.js';
import { main } from '../../harness/cli/index.js';

const REQUIRED: Record<string, Record<string, number>> = {
  'linux-default': {},
  rfc1337: { 'net.ipv4.tcp_rfc1337': 1 },
  'no-timestamps': { 'net.ipv4.tcp_timestamps': 0 },
  'no-sack': { 'net.ipv4.tcp_sack': 0 },
  'no-window-scaling': { 'net.ipv4.tcp_window_scaling': 0 },
  'no-timewait': { 'net.ipv4.tcp_max_tw_buckets': 0 },
  'short-fin-timeout': { 'net.ipv4.tcp_fin_timeout': 5 },
  'syncookies-always': { 'net.ipv4.tcp_syncookies': 2 },
};

const capture = () => {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
};

describe('the profiles in cases/profiles', () => {
  it('has every profile the catalogue needs, each setting exactly its sysctls, all valid on this kernel', () => {
    const loaded = Object.fromEntries(loadProfiles().map((p) => [p.name, p.sysctls]));
    expect(Object.keys(loaded)).toEqual(expect.arrayContaining(Object.keys(REQUIRED)));
    for (const [name, sysctls] of Object.entries(REQUIRED)) expect(loaded[name]).toEqual(sysctls);
  });

  it('watches every sysctl a profile sets, so bundles record it', () => {
    for (const p of loadProfiles()) for (const key of Object.keys(p.sysctls)) expect(WATCHED_SYSCTLS).toContain(key);
  });
});

describe('profile validation', () => {
  const ok = { name: 'x', description: 'd', sysctls: { 'net.ipv4.tcp_sack': 0 } };
  // a kernel's sysctls and their values now; null: there but unreadable (write-only)
  const KERNEL: Record<string, string | null> = {
    'net.ipv4.tcp_sack': '1',
    'net.ipv4.tcp_rmem': '4096\t131072\t6291456',
    'net.ipv4.tcp_congestion_control': 'cubic',
    'net.ipv4.route.flush': null,
  };
  const kernel: KernelSysctl = (k) => (k in KERNEL ? (KERNEL[k] === null ? {} : { value: KERNEL[k]! }) : null);
  const withSysctls = (sysctls: Record<string, unknown>) => JSON.stringify({ ...ok, sysctls });
  const error = (text: string, file = 'cases/profiles/x.json', sysctls = kernel) => {
    try {
      parseProfile(text, file, sysctls);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('accepts a well-formed profile', () => {
    expect(parseProfile(JSON.stringify(ok), 'cases/profiles/x.json', kernel)).toMatchObject({ name: 'x', sysctls: { 'net.ipv4.tcp_sack': 0 } });
  });

  it('names the file and the field of each problem', () => {
    expect(error('{')).toMatch(/^cases\/profiles\/x\.json: not valid JSON/);
    expect(error(JSON.stringify({ ...ok, sysctls: { 'net.ipv4.tcp_bogus': 1 } }))).toBe(
      'cases/profiles/x.json: sysctls["net.ipv4.tcp_bogus"]: no such sysctl on this kernel (/proc/sys/net/ipv4/tcp_bogus does not exist)',
    );
    expect(error(JSON.stringify({ ...ok, sysctls: { 'kernel.panic': 1 } }))).toMatch(/^cases\/profiles\/x\.json: sysctls\["kernel\.panic"\]: .*per-namespace sysctl/);
    expect(error(JSON.stringify({ ...ok, sysctls: { 'net.ipv4.tcp_sack': 1.5 } }))).toMatch(/^cases\/profiles\/x\.json: sysctls\["net\.ipv4\.tcp_sack"\]: /);
    expect(error(JSON.stringify({ ...ok, colour: 'red' }))).toMatch(/^cases\/profiles\/x\.json: .*colour/);
    expect(error(JSON.stringify({ ...ok, description: undefined }))).toMatch(/^cases\/profiles\/x\.json: description: /);
    expect(error(JSON.stringify({ ...ok, name: 'y' }))).toBe('cases/profiles/x.json: name: is "y" but the file is x.json: they must match');
  });

  it('says what a value must be when it is neither an integer nor a string', () => {
    expect(error(withSysctls({ 'net.ipv4.tcp_sack': true }))).toBe('cases/profiles/x.json: sysctls["net.ipv4.tcp_sack"]: expected an integer or a string, got true');
    expect(error(withSysctls({ 'net.ipv4.tcp_sack': 1.5 }))).toBe('cases/profiles/x.json: sysctls["net.ipv4.tcp_sack"]: expected an integer or a string, got 1.5');
  });

  it('refuses a value whose shape is not the kernel\'s: an integer stays an integer, a vector keeps its length', () => {
    expect(error(withSysctls({ 'net.ipv4.tcp_sack': 'on' }))).toBe('cases/profiles/x.json: sysctls["net.ipv4.tcp_sack"]: expected an integer (the kernel\'s value is 1), got "on"');
    expect(error(withSysctls({ 'net.ipv4.tcp_rmem': '4096 87380' }))).toBe(
      'cases/profiles/x.json: sysctls["net.ipv4.tcp_rmem"]: expected 3 integers separated by spaces (the kernel\'s value is "4096 131072 6291456"), got "4096 87380"',
    );
    expect(error(withSysctls({ 'net.ipv4.tcp_rmem': 4096 }))).toMatch(/^cases\/profiles\/x\.json: sysctls\["net\.ipv4\.tcp_rmem"\]: expected 3 integers .*, got 4096$/);
    for (const sysctls of [{ 'net.ipv4.tcp_sack': '0' }, { 'net.ipv4.tcp_sack': -1 }, { 'net.ipv4.tcp_rmem': '4096  87380\t6291456' }, { 'net.ipv4.tcp_congestion_control': 'reno' }, { 'net.ipv4.route.flush': 'x' }]) {
      expect(parseProfile(withSysctls(sysctls), 'cases/profiles/x.json', kernel).sysctls).toEqual(sysctls);
    }
  });

  it('checks against the values of this machine\'s kernel, read from /proc/sys', () => {
    const now = readFileSync('/proc/sys/net/ipv4/tcp_sack', 'utf8').trim();
    expect(() => parseProfile(withSysctls({ 'net.ipv4.tcp_sack': 'on' }), 'p/x.json')).toThrow(`p/x.json: sysctls["net.ipv4.tcp_sack"]: expected an integer (the kernel's value is ${now}), got "on"`);
    expect(parseProfile(withSysctls({ 'net.ipv4.tcp_sack': 0 }), 'p/x.json').sysctls).toEqual({ 'net.ipv4.tcp_sack': 0 });
  });

  it('says which profiles exist when the name is unknown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpl-profiles-'));
    try {
      writeFileSync(join(dir, 'one.json'), JSON.stringify({ ...ok, name: 'one' }));
      expect(profileNames(dir)).toEqual(['one']);
      expect(() => loadProfile('two', dir)).toThrow(/unknown profile "two" \(known: one\)/);
      expect(() => loadProfile('../one', dir)).toThrow(/unknown profile/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('which profile each host gets', () => {
  it('a pinned profile wins over the run-wide one, explicit sysctls go on top', () => {
    const r = resolveHostProfiles(['client', 'server'], { server: 'rfc1337' }, { client: { 'net.ipv4.tcp_sack': 0 } }, 'no-timestamps');
    expect(r).toEqual({
      client: { profile: 'no-timestamps', sysctls: { 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_sack': 0 } },
      server: { profile: 'rfc1337', sysctls: { 'net.ipv4.tcp_rfc1337': 1 } },
    });
  });

  it('one name pins every host; no profile anywhere means the kernel defaults', () => {
    expect(resolveHostProfiles(['a', 'b'], 'no-sack', undefined, null)).toEqual({
      a: { profile: 'no-sack', sysctls: { 'net.ipv4.tcp_sack': 0 } },
      b: { profile: 'no-sack', sysctls: { 'net.ipv4.tcp_sack': 0 } },
    });
    expect(resolveHostProfiles(['a', 'b'], undefined, undefined, null)).toEqual({ a: { profile: null, sysctls: {} }, b: { profile: null, sysctls: {} } });
  });

  it('refuses a pin for a host the case does not have, and an unknown profile', () => {
    expect(() => resolveHostProfiles(['client'], { servr: 'rfc1337' }, undefined, null)).toThrow('hosts(): profile for unknown host "servr" (hosts: client)');
    expect(() => resolveHostProfiles(['client'], undefined, undefined, 'nope')).toThrow(InputError);
  });
});

describe('tcpladder run --profile', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('exits 2 with one line naming the profile folder for an unknown profile, before running anything', async () => {
    const { out, io } = capture();
    expect(await main(['run', 'cases/handshake', '--profile', 'linux-default', '--profile', 'no-such'], io)).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^tcpladder run: --profile no-such: .*cases\/profiles: unknown profile "no-such" \(known: .*linux-default.*\)\n$/);
  });

  it('exits 2 naming the file and field of an invalid profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpl-profiles-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ name: 'typo', description: 'd', sysctls: { 'net.ipv4.tcp_timestmaps': 0 } }));
    const { out, io } = capture();
    process.env.TCPLADDER_PROFILES_DIR = dir;
    try {
      expect(await main(['run', 'cases/handshake', '--profile', 'typo'], io)).toBe(2);
    } finally {
      delete process.env.TCPLADDER_PROFILES_DIR;
    }
    expect(out.stderr).toBe(
      `tcpladder run: --profile typo: ${join(dir, 'typo.json')}: sysctls["net.ipv4.tcp_timestmaps"]: no such sysctl on this kernel (/proc/sys/net/ipv4/tcp_timestmaps does not exist)\n`,
    );
  });
});
