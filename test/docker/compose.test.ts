// The Docker files hold together (scripts/docker-e2e runs them for real; this catches
// an edit that breaks one of their links without needing a Docker engine): the capture
// service sits in the harness's namespaces, holds at least its capabilities, finds the
// socket the harness is told about, and writes pcaps at the paths the harness names.
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/** The YAML docker-compose.yml uses: block maps, block lists, flow lists, scalars, comments. */
function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const scalar = (s: string): Yaml => {
    s = s.trim();
    if (s.startsWith('[')) return splitFlow(s.slice(1, -1)).map(scalar);
    if (/^".*"$|^'.*'$/.test(s)) return s.slice(1, -1);
    return s;
  };
  const block = (indent: number): Yaml => {
    if (lines[i].text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (i < lines.length && lines[i].indent === indent && lines[i].text.startsWith('- ')) list.push(scalar(lines[i++].text.slice(2)));
      return list;
    }
    const map: Record<string, Yaml> = {};
    while (i < lines.length && lines[i].indent === indent) {
      const m = /^([^:]+):(.*)$/.exec(lines[i++].text)!;
      const [key, rest] = [m[1].trim(), m[2].trim()];
      map[key] = rest !== '' ? scalar(rest) : i < lines.length && lines[i].indent > indent ? block(lines[i].indent) : '';
    }
    return map;
  };
  return block(0);
}

function splitFlow(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      cur += ch;
      quote = ch;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const compose = parseYaml(read('docker-compose.yml')) as Record<string, any>;
const { harness, capture } = compose.services;
const dockerfile = read('Dockerfile');

describe('docker-compose.yml', () => {
  test('has the harness and capture services, and the harness is built from the Dockerfile with the base image as a build argument', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['capture', 'harness']);
    expect(harness.build.context).toBe('.');
    expect(harness.build.args.NODE_IMAGE).toMatch(/^\$\{TCPLADDER_NODE_IMAGE:-node:20-bookworm-slim\}$/);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\}$/m);
    expect(capture.image).toBe(harness.image);
  });

  test('capture shares the harness network and pid namespaces and reaches its wire namespaces through /proc/1/root', () => {
    expect(capture.network_mode).toBe('service:harness');
    expect(capture.pid).toBe('service:harness');
    expect(capture.depends_on).toContain('harness');
    expect(capture.command[0]).toBe('bash');
    const script = read(capture.command[1]);
    expect(script).toMatch(/node --import tsx scripts\/docker-capture-pool\.mjs "\$socket" "\$netns_root"/);
    expect(script).toMatch(/^netns_root="\$\{TCPLADDER_NETNS_ROOT-\/proc\/1\/root\}"$/m);
    const pool = read('scripts/docker-capture-pool.mjs');
    expect(pool).toMatch(/'harness\/wire\/sidecar\.ts', '--socket', path, '--netns-root', netnsRoot, '--die-with-parent'/);
    expect(capture.environment?.TCPLADDER_NETNS_ROOT).toBeUndefined();
  });

  test('capture holds every capability the harness holds (the kernel asks for it before /proc/1/root), and neither is privileged', () => {
    for (const cap of harness.cap_add) expect(capture.cap_add).toContain(cap);
    expect(harness.cap_add.sort()).toEqual(['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE']);
    expect(capture.cap_add.sort()).toEqual(['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'SYS_PTRACE']);
    expect(harness.privileged).toBeUndefined();
    expect(capture.privileged).toBeUndefined();
    expect(harness.security_opt).toEqual(['apparmor=unconfined', 'seccomp=unconfined']);
    expect(capture.security_opt).toEqual(['apparmor=unconfined']);
  });

  test('the harness is told the socket the capture service listens on, in a volume both mount', () => {
    const socket = harness.environment.TCPLADDER_SIDECAR;
    expect(capture.command[2]).toBe(socket);
    const dir = socket.slice(0, socket.lastIndexOf('/'));
    expect(harness.volumes).toContain(`sidecar:${dir}`);
    expect(capture.volumes).toContain(`sidecar:${dir}`);
    expect(Object.keys(compose.volumes)).toEqual(['sidecar']);
  });

  test('both mount ./captures at the same path, the image working folder, so pcap paths mean the same in both', () => {
    const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile)![1];
    expect(harness.volumes).toContain(`./captures:${workdir}/captures`);
    expect(capture.volumes).toContain(`./captures:${workdir}/captures`);
  });

  test('the images copy neither node_modules nor earlier captures, and the entry scripts exist', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('captures/*');
    expect(dockerfile).toMatch(/^CMD \["bash", "scripts\/docker-harness"\]$/m);
    for (const f of ['scripts/docker-harness', 'scripts/docker-capture', 'scripts/docker-e2e']) expect(existsSync(new URL(f, root))).toBe(true);
  });
  test('the compose run writes captures/<run>/summary.md, and the documented GitHub step appends that file to the job summary', () => {
    // tcpladder run writes summary.md into its run folder, captures/$TCPLADDER_RUN, which the entry script sets and the bind mount keeps
    expect(harness.environment.TCPLADDER_RUN).toBe('${TCPLADDER_RUN:-}');
    const entry = read('scripts/docker-harness');
    expect(entry).toMatch(/^export TCPLADDER_RUN="\$run"$/m);
    expect(entry).toMatch(/^dir="captures\/\$run"$/m);
    expect(entry).toMatch(/^node bin\/tcpladder\.js run /m);
    expect(read('harness/runner/finish.ts')).toMatch(/writeSummaryMd\(runDir, input\)/);
    expect(read('scripts/docker-e2e')).toMatch(/\[ -f "\$dir\/summary\.md" \] \|\| fail 15/);
    // the container does not see $GITHUB_STEP_SUMMARY: the workflow names the run and appends its summary.md
    const docs = read('docs/DOCKER.md');
    const workflow = /```yaml\n# \.github\/workflows\/tcpladder\.yml\n([\s\S]*?)```/.exec(docs)![1]!;
    expect(workflow).toMatch(/^ {6}TCPLADDER_RUN: gh\$\{\{ github\.run_id \}\}\$\{\{ github\.run_attempt \}\}$/m);
    const step = /- name: Results in the job summary\n([\s\S]*?)(?=\n {6}- |$)/.exec(workflow)![1]!;
    expect(step).toMatch(/^ {8}if: always\(\)$/m);
    expect(step).toMatch(/^ {8}run: cat "captures\/\$TCPLADDER_RUN\/summary\.md" >> "\$GITHUB_STEP_SUMMARY"$/m);
    expect(workflow.indexOf('Results in the job summary')).toBeGreaterThan(workflow.indexOf('docker compose up'));
  });
});
