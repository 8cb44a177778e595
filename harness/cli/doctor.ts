/** tcpladder doctor: does this machine have what a run needs? One line per check, a fix for each failure. */
import { wantColour, paint } from '../runner/index.js';
import { checks, NetnsProbe, type Check, type CheckResult } from './doctor-checks.js';
import { EXIT, parseArgs, type Io } from './io.js';

export const DOCTOR_HELP = `tcpladder doctor

Checks what a run needs: root, network namespaces, veth links, nftables, ethtool,
tracefs, libpcap (the cap module), koffi, the relay's C (built with cc), Node.js
≥ 20.11, tcpdump and tshark;
and, optionally, chromium for the report's browser test. Then each TCP stack:
linux (this machine's kernel), uml (User-Mode Linux) and gvisor (runsc): found,
its version, and whether it works (a guest starts and makes a socket; a few
seconds each, half a minute for UML on a loaded machine). Prints one line per
check and, under each failure, the one command that fixes it. The probe
namespace, tracefs instance and guests it makes (tcpl-doctor-<pid>, a pool of
its own) are removed before it exits.

Exit codes:
  0  every required check passed
  1  a required check failed
  2  bad usage
`;

export interface CheckLine {
  check: Check;
  result: CheckResult;
}

export async function runChecks(list: Check[]): Promise<CheckLine[]> {
  const out: CheckLine[] = [];
  for (const check of list) {
    let result: CheckResult;
    try {
      result = await check.run();
    } catch (e) {
      result = { ok: false, detail: `probe failed: ${(e as Error).message}` };
    }
    out.push({ check, result });
  }
  return out;
}

export function formatChecks(lines: CheckLine[], colour: boolean): string {
  const c = paint(colour);
  const width = Math.max(...lines.map((l) => l.check.name.length));
  const text = lines.map(({ check, result }) => {
    const mark = result.ok ? c.green('✓') : check.required ? c.red('✗') : c.yellow('-');
    const name = check.name.padEnd(width) + (check.required || result.ok ? '' : ' (optional)');
    const fix = result.ok || !result.fix ? '' : `\n    fix: ${c.bold(result.fix)}`;
    return `${mark} ${name}  ${result.ok ? c.dim(result.detail) : result.detail}${fix}`;
  });
  const failed = lines.filter((l) => l.check.required && !l.result.ok).length;
  const optional = lines.filter((l) => !l.check.required && !l.result.ok).length;
  const verdict = failed
    ? c.red(`${failed} required check${failed === 1 ? '' : 's'} failed`)
    : c.green('all required checks passed') + (optional ? ` (${optional} optional missing)` : '');
  return `${text.join('\n')}\n\n${verdict}\n`;
}

export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['-h', '--help'] });
  if (args.flags.size) {
    io.stdout(DOCTOR_HELP);
    return EXIT.ok;
  }
  const probe = new NetnsProbe();
  let lines: CheckLine[];
  try {
    lines = await runChecks(checks(probe));
  } finally {
    probe.cleanup();
  }
  io.stdout(formatChecks(lines, wantColour(process.stdout)));
  return lines.some((l) => l.check.required && !l.result.ok) ? EXIT.failed : EXIT.ok;
}
