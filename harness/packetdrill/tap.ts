/**
 * A run's results as TAP 13 or KTAP 1 (the kernel selftests' format), from its
 * summary.json: one line per case and family, failures with their message as
 * diagnostics, known failures as TODO/XFAIL, not-applicable cases as SKIP, and KTAP's
 * totals line.
 */

/** The part of summary.json (harness/runner/summary.ts) the formatter reads. */
export interface TapInput {
  cases: {
    case: string;
    family: string;
    status: string;
    error?: string;
    /** the whole failure message (error is its first line) */
    message?: string;
    errorKind?: 'input';
    why?: string;
    /** the stacks its hosts ran (a matrix's results name theirs) */
    stacks?: string[];
  }[];
  /** case files that failed without a trace */
  problems?: { title: string; message: string }[];
}

export type TapFormat = 'tap' | 'ktap';

/** Lines of a failure message shown as diagnostics, at most */
const DIAGNOSTIC_LINES = 20;

export function formatTap(summary: TapInput, format: TapFormat = 'tap'): string {
  const ktap = format === 'ktap';
  const out: string[] = [ktap ? 'KTAP version 1' : 'TAP version 13'];
  const total = summary.cases.length + (summary.problems?.length ?? 0);
  out.push(`1..${total}`);
  const totals = { pass: 0, fail: 0, xfail: 0, skip: 0, error: 0 };
  let n = 0;
  const line = (ok: boolean, name: string, directive?: string) =>
    out.push(`${ok ? 'ok' : 'not ok'} ${++n}${ktap ? '' : ' -'} ${escapeName(name)}${directive ? ` # ${directive}` : ''}`);
  const diagnostics = (text: string) => {
    const lines = text.split('\n');
    for (const l of lines.slice(0, DIAGNOSTIC_LINES)) out.push(`# ${l}`.trimEnd());
    if (lines.length > DIAGNOSTIC_LINES) out.push(`# … ${lines.length - DIAGNOSTIC_LINES} more lines in summary.json`);
  };
  for (const c of summary.cases) {
    // a matrix names the stack of every result
    const stacks = c.stacks?.some((x) => x !== 'linux') ? ` {${c.stacks.join(', ')}}` : '';
    const name = `${c.case} [${c.family === 'ipv6' ? 'IPv6' : 'IPv4'}]${stacks}`;
    switch (c.status) {
      case 'passed':
        totals.pass++;
        line(true, name);
        break;
      case 'known-failure':
        totals.xfail++;
        if (ktap) line(true, name, `XFAIL ${oneLine(c.why ?? 'known failure')}`);
        else line(false, name, `TODO known failure: ${oneLine(c.why ?? '')}`);
        break;
      case 'not-applicable':
        totals.skip++;
        line(true, name, `SKIP ${oneLine(c.why ?? 'not applicable')}`);
        break;
      default:
        if (c.errorKind === 'input') totals.error++;
        else totals.fail++;
        line(false, name);
        diagnostics(c.message ?? c.error ?? 'failed');
    }
  }
  for (const p of summary.problems ?? []) {
    totals.error++;
    line(false, p.title);
    diagnostics(p.message);
  }
  if (ktap) out.push(`# Totals: pass:${totals.pass} fail:${totals.fail} xfail:${totals.xfail} xpass:0 skip:${totals.skip} error:${totals.error}`);
  return `${out.join('\n')}\n`;
}

/** `#` starts a directive in TAP: a name keeps its own escaped; line breaks become spaces. */
function escapeName(name: string): string {
  return oneLine(name).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
