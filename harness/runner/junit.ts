/**
 * JUnit XML for CI systems: one <testsuite> per case file, one <testcase> per case
 * and address family, a <failure> with the whole message (expected/observed table
 * and observed ladder) for a failed case, and the case's capture folder.
 */
import { escapeXml, stripAnsi } from '../report/index.js';
import { shownPath } from './paths.js';
import type { RunSummaryFile, SummaryCase } from './summary.js';

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const text = (s: string) => escapeXml(stripAnsi(s));

function testcase(c: SummaryCase, classname: string, runDir: string): string {
  // a run on another stack names it: CI keeps the results of a matrix apart
  const stack = c.stacks && c.stacks.some((x) => x !== 'linux') ? ` {${c.stacks.join(', ')}}` : '';
  const name = `${c.case} [${c.family === 'ipv6' ? 'IPv6' : 'IPv4'}]${stack}`;
  const open = `    <testcase classname="${text(classname)}" name="${text(name)}" time="${seconds(c.durationMs)}">`;
  const parts = [open];
  if (c.status === 'not-applicable') parts.push(`      <skipped message="${text(`not applicable: ${c.why ?? ''}`)}"/>`);
  if (c.status === 'known-failure') {
    parts.push('      <properties>', `        <property name="verdict" value="known-failure"/>`, `        <property name="why" value="${text(c.why ?? '')}"/>`, '      </properties>');
  }
  if (c.status === 'failed') {
    const message = c.message ?? c.error ?? 'failed';
    // bad input in the case file is not a verdict on the kernel: CI tools can tell them apart by type
    const type = c.errorKind === 'input' ? 'InputError' : 'AssertionError';
    parts.push(`      <failure message="${text(c.error ?? message.split('\n')[0]!)}" type="${type}">${text(message)}</failure>`);
  }
  parts.push(`      <system-out>${text(`captures: ${shownPath(`${runDir}/${c.dir}`)}/ (wire.pcap, trace.json, ladder.txt)`)}</system-out>`);
  parts.push('    </testcase>');
  return parts.join('\n');
}

export function renderJunit(summary: RunSummaryFile, runDir: string): string {
  const byFile = new Map<string, SummaryCase[]>();
  for (const c of summary.cases) {
    const list = byFile.get(c.file) ?? [];
    list.push(c);
    byFile.set(c.file, list);
  }
  const problems = summary.problems ?? [];
  const suites = [...byFile].map(([file, cases]) => {
    const name = shownPath(file);
    const failures = cases.filter((c) => c.status === 'failed').length;
    const skipped = cases.filter((c) => c.status === 'not-applicable').length;
    const time = cases.reduce((t, c) => t + c.durationMs, 0);
    return [
      `  <testsuite name="${text(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(time)}" timestamp="${summary.startedAt}">`,
      ...cases.map((c) => testcase(c, name, runDir)),
      '  </testsuite>',
    ].join('\n');
  });
  for (const p of problems) {
    const name = shownPath(p.file);
    suites.push(
      [
        `  <testsuite name="${text(name)}" tests="1" failures="0" errors="1" skipped="0" time="0">`,
        `    <testcase classname="${text(name)}" name="${text(p.title)}" time="0">`,
        `      <error message="${text(p.message.split('\n')[0]!)}">${text(p.message)}</error>`,
        '    </testcase>',
        '  </testsuite>',
      ].join('\n'),
    );
  }
  const head = `<testsuites name="tcpladder run ${text(summary.run)}" tests="${summary.cases.length + problems.length}" failures="${summary.failed}" errors="${problems.length}" time="${seconds(summary.durationMs)}">`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
}
