/** The report's only stylesheet, inlined: system fonts, no external resources. */
export const REPORT_CSS = `
:root { --ok: #2e7d32; --bad: #c62828; --muted: #666; --line: #ddd; --bg-bad: #fdecea; --bg-ok: #edf7ee; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
header.run { padding: 16px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header.run h1 { margin: 0 0 8px; font-size: 20px; }
header.run.failed h1 .verdict { color: var(--bad); }
header.run.passed h1 .verdict { color: var(--ok); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
nav.cases { padding: 8px 24px; }
nav.cases ol { margin: 0; padding-left: 20px; columns: 2 420px; }
nav.cases li.failed a { color: var(--bad); font-weight: 600; }
nav.cases li.passed a { color: inherit; }
main { padding: 0 24px 24px; }
section.case, section.problem { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--ok); border-radius: 4px; margin: 16px 0; padding: 8px 16px 12px; }
section.case.failed, section.problem { border-left-color: var(--bad); background: #fffafa; }
section.case h2, section.problem h2 { font-size: 16px; margin: 4px 0; }
section.case .status { display: inline-block; width: 1.2em; }
section.case.passed .status { color: var(--ok); }
section.case.failed .status, section.problem h2 { color: var(--bad); }
section.case .duration { color: var(--muted); font-weight: normal; font-size: 13px; }
p.meta { margin: 0; color: var(--muted); font-size: 13px; }
ul.files { list-style: none; padding: 0; margin: 4px 0 8px; display: flex; gap: 12px; flex-wrap: wrap; }
ul.files a { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre.failure { background: var(--bg-bad); border: 1px solid #f5c2c0; padding: 8px 12px; overflow-x: auto; line-height: 1.35; }
pre.failure mark.miss { background: #ffcdd2; color: #7f0000; font-weight: 600; display: inline-block; min-width: 100%; }
figure.ladder { margin: 8px 0; }
figure.ladder .scroll { overflow-x: auto; border: 1px solid var(--line); background: #fff; }
figure.ladder svg { display: block; }
figure.ladder g.segment { cursor: help; }
figure.ladder g.segment:hover line { stroke-width: 3; }
figure.ladder g.segment:hover text { font-weight: bold; }
figure.ladder g.timer:hover rect { fill-opacity: 0.7; }
details { margin: 6px 0; }
details > summary { cursor: pointer; font-weight: 600; }
details.wire.complete .ok { color: var(--ok); font-weight: normal; }
details.wire .bad { color: var(--bad); }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td code { font-size: 12px; }
span.flags.syn { color: #2e7d32; } span.flags.fin { color: #9e7c00; } span.flags.rst { color: #c62828; }
span.source.sock_diag { color: #6a1b9a; }
.empty, p.no-ladder { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
`;
