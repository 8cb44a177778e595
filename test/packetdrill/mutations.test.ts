/**
 * Every script of cases/packetdrill can fail: a copy with one line changed (an
 * outbound packet's ack or flags, or a call's errno) runs against the real kernel
 * and must fail on that line, with packetdrill's kind of message. The copies live in
 * a temporary tree shaped like the original (common/defaults.sh, tcpladder.json).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CaseRun } from '../../harness/case/run.js';
import { planScript, scriptBody } from '../../harness/packetdrill/index.js';
import { SCRIPTS as ROOT, scriptTree } from './script-tree.js';

// the mutants' traces are not the run's cases: they go to the temporary tree
const TMP = scriptTree('mutants');

interface Mutant {
  /** 1-based line changed */
  line: number;
  how: string;
  text: string;
}

const ERRNO_SWAP: Record<string, string> = {
  ECONNRESET: 'ECONNREFUSED',
  ECONNREFUSED: 'ECONNRESET',
  EPIPE: 'ECONNRESET',
  EAGAIN: 'EINPROGRESS',
  EWOULDBLOCK: 'EINPROGRESS',
  EINPROGRESS: 'EALREADY',
  EADDRINUSE: 'EADDRNOTAVAIL',
  EISCONN: 'EALREADY',
  ENOPROTOOPT: 'EINVAL',
};

/**
 * Change the script's last checked line: an errno (another one), an assertion on a
 * state (another state), or an outbound packet (its ack, its flags or its sequence
 * number: the kind rotates over the scripts, so each is exercised).
 */
export function mutate(text: string, kind: number): Mutant {
  const lines = text.split('\n');
  const change = (i: number, to: string, how: string): Mutant => {
    const out = [...lines];
    out[i] = to;
    return { line: i + 1, how, text: out.join('\n') };
  };
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    const errno = /= -1 (E[A-Z]+)/.exec(l)?.[1];
    if (errno && ERRNO_SWAP[errno]) return change(i, l.replace(/= -1 E[A-Z]+( \([^)]*\))?/, `= -1 ${ERRNO_SWAP[errno]}`), `errno ${errno} → ${ERRNO_SWAP[errno]}`);
    const state = /assert tcpi_state == (TCP_[A-Z_0-9]+)/.exec(l)?.[1];
    if (state) {
      const other = state === 'TCP_ESTABLISHED' ? 'TCP_CLOSE' : 'TCP_ESTABLISHED';
      return change(i, l.replace(state, other), `state ${state} → ${other}`);
    }
    if (!/^\S*\s*\S+\s+>\s/.test(l) || l.trimStart().startsWith('//')) continue;
    const ack = /ack (\d+)/.exec(l);
    if (kind % 2 === 1 || !ack) {
      // a flag: FIN taken away, or PSH given
      const flags = /> (\S+)/.exec(l)![1];
      const to = flags.includes('F') ? flags.replace('F', '') : flags.includes('P') ? flags.replace('P', '') : `P${flags}`;
      return change(i, l.replace(`> ${flags}`, `> ${to}`), `flags ${flags} → ${to}`);
    }
    return change(i, l.replace(/ack \d+/, `ack ${Number(ack[1]) + 1}`), `ack ${ack[1]} → ${Number(ack[1]) + 1}`);
  }
  throw new Error('no line to change');
}

function scripts(): string[] {
  const out: string[] = [];
  for (const topic of readdirSync(ROOT, { withFileTypes: true })) {
    if (!topic.isDirectory() || topic.name === 'common') continue;
    for (const f of readdirSync(join(ROOT, topic.name))) if (f.endsWith('.pkt')) out.push(join(topic.name, f));
  }
  return out.sort();
}

describe('every script of cases/packetdrill fails when a line of it is wrong', () => {
  scripts().forEach((name, k) => {
    const mutant = mutate(readFileSync(join(ROOT, name), 'utf8'), k);
    test(`${name}:${mutant.line}: ${mutant.how}`, { timeout: 60_000 }, async () => {
      const path = join(TMP, name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, mutant.text);
      const plan = planScript(path).find((p) => p.version === 'ipv4')!;
      const run = new CaseRun(`mutant ${name}`, path, 4);
      let error: unknown = null;
      try {
        await scriptBody(plan, path)({ hosts: (...args: unknown[]) => run.hosts(args.slice(0, -1) as string[], args.at(-1) as never) as never, wire: run.wire, signal: run.signal });
      } catch (e) {
        error = e;
      }
      const { error: failure } = await run.finish(error);
      expect(failure?.message ?? 'the mutant passed').toMatch(new RegExp(`^${escape(relative(process.cwd(), path))}:${mutant.line}: (error handling packet|runtime error in \\w+ call|error in Python code)`));
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
