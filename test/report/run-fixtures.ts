/** Cases of report.html and summary.md: traces recorded by real runs (fixtures/), one with its whole failure message. */
import { readFileSync } from 'node:fs';
import type { ReportCase, ReportInput } from '../../harness/report/index.js';
import type { CaseTrace } from '../../harness/trace/types.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const trace = (name: string): CaseTrace => JSON.parse(readFileSync(fixture(`${name}.trace.json`), 'utf8')) as CaseTrace;

export const wrongAckMessage = readFileSync(fixture('wrong-ack-ipv4.message.txt'), 'utf8');
export const handshake: ReportCase = { dir: 'three-way-handshake-ipv4', trace: trace('three-way-handshake-ipv4') };
export const activeClose: ReportCase = { dir: 'active-close-ipv6', trace: trace('active-close-ipv6') };
export const wrongAck: ReportCase = { dir: 'wrong-ack-ipv4', trace: trace('wrong-ack-ipv4'), message: wrongAckMessage };

export const RUN: ReportInput['run'] = {
  run: 'abc12',
  startedAt: '2026-11-24T22:30:00.000Z',
  durationMs: 4600,
  kernel: '6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1',
  node: 'v20.20.2',
};
