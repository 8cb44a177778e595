import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caseDir, runDir, slug } from '../../harness/case/paths.js';
import { runId } from '../../harness/topology/owner.js';

const previous = process.env.TCPLADDER_RUN_DIR;
const tmp = mkdtempSync(join(tmpdir(), 'tcpl-paths-'));
process.env.TCPLADDER_RUN_DIR = tmp;

afterAll(() => {
  if (previous === undefined) delete process.env.TCPLADDER_RUN_DIR;
  else process.env.TCPLADDER_RUN_DIR = previous;
  rmSync(tmp, { recursive: true, force: true });
});

describe('slug', () => {
  it('lower case, arrows and punctuation become single dashes', () => {
    expect(slug('active close: FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT')).toBe('active-close-fin-wait-1-fin-wait-2-time-wait');
    expect(slug('three-way handshake')).toBe('three-way-handshake');
    expect(slug('RST in SYN_RCVD (RFC 793 §3.4)')).toBe('rst-in-syn-rcvd-rfc-793-3-4');
    expect(slug('SO_LINGER > 0')).toBe('so-linger-0');
  });

  it('no leading or trailing dashes', () => {
    expect(slug('  → half-close ←  ')).toBe('half-close');
    expect(slug('...abc...')).toBe('abc');
  });

  it('a name with nothing usable is "case"', () => {
    expect(slug('')).toBe('case');
    expect(slug('→ → →')).toBe('case');
    expect(slug('§!?')).toBe('case');
  });

  it('at most 80 characters', () => {
    expect(slug('x'.repeat(200))).toBe('x'.repeat(80));
    for (let n = 70; n < 90; n++) expect(slug(`${'a'.repeat(n)} b c d e f`).length).toBeLessThanOrEqual(80);
  });

  it('a cut at 80 characters leaves no trailing dash', () => {
    expect(slug(`${'a'.repeat(79)} b`)).not.toMatch(/-$/);
  });
});

describe('runDir', () => {
  it('is TCPLADDER_RUN_DIR when the runner set it', () => {
    expect(runDir()).toBe(tmp);
  });

  it('defaults to captures/<run id> and records it for worker processes', () => {
    delete process.env.TCPLADDER_RUN_DIR;
    try {
      expect(runDir()).toBe(resolve('captures', runId()));
      expect(process.env.TCPLADDER_RUN_DIR).toBe(resolve('captures', runId()));
    } finally {
      process.env.TCPLADDER_RUN_DIR = tmp;
    }
  });
});

describe('caseDir', () => {
  it('makes <run>/<slug>-ipv4 and -ipv6', () => {
    const d4 = caseDir('active close: FIN_WAIT_1 → TIME_WAIT', 4);
    const d6 = caseDir('active close: FIN_WAIT_1 → TIME_WAIT', 6);
    expect(d4).toBe(join(tmp, 'active-close-fin-wait-1-time-wait-ipv4'));
    expect(d6).toBe(join(tmp, 'active-close-fin-wait-1-time-wait-ipv6'));
    expect(statSync(d4).isDirectory()).toBe(true);
    expect(statSync(d6).isDirectory()).toBe(true);
  });

  it('a new folder when two cases share a name (or a slug)', () => {
    const a = caseDir('half close', 4);
    const b = caseDir('half close', 4);
    const c = caseDir('Half-close!', 4);
    expect(basename(a)).toBe('half-close-ipv4');
    expect(basename(b)).toBe('half-close-ipv4-2');
    expect(basename(c)).toBe('half-close-ipv4-3');
    for (const d of [a, b, c]) expect(existsSync(d)).toBe(true);
  });
});
