/** The report's only stylesheet, inlined: system fonts, no external resources. */
export const REPORT_CSS = `
:root { --ok: #2e7d32; --bad: #c62828; --known: #9e6a00; --na: #777; --muted: #666; --line: #ddd; --bg-bad: #fdecea; --focus: #1565c0; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
header.run { padding: 16px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header.run h1 { margin: 0 0 8px; font-size: 20px; }
header.run.failed h1 .verdict { color: var(--bad); }
header.run.passed h1 .verdict { color: var(--ok); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
form.controls { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; padding: 8px 24px; background: #fff; border-bottom: 1px solid var(--line); }
form.controls fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 10px; align-items: center; }
form.controls legend { float: left; color: var(--muted); margin-right: 4px; }
form.controls input[type=search] { width: 22em; padding: 3px 6px; }
form.controls output { color: var(--muted); }
p.legend { color: var(--muted); font-size: 12px; margin: 8px 24px 0; }
main { padding: 0 24px 24px; }
section.topic > h2 { font-size: 17px; margin: 18px 0 4px; }
section.topic > h2 small { color: var(--muted); font-weight: normal; font-size: 13px; }
.grid { display: grid; grid-template-columns: 1.4em minmax(0, 1fr) repeat(var(--cols), 5.6em) 1.4em; align-items: baseline; column-gap: 4px; }
div.columns { color: var(--muted); font-size: 12px; padding: 0 8px; line-height: 1.2; }
div.columns span { text-align: center; }
details.case, section.run { scroll-margin-top: 52px; }
details.case { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--ok); border-radius: 3px; margin: 3px 0; }
details.case.failed { border-left-color: var(--bad); background: #fffafa; }
details.case.known-failure { border-left-color: var(--known); }
details.case.not-applicable { border-left-color: #bbb; }
details.case > summary { list-style: none; cursor: pointer; padding: 4px 8px; }
details.case > summary::-webkit-details-marker { display: none; }
details.case > summary:focus-visible { outline: 2px solid var(--focus); outline-offset: -2px; }
details.case[open] > summary { border-bottom: 1px solid var(--line); }
summary .name small { display: block; color: var(--bad); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
summary .cell { text-align: center; border-radius: 3px; font-size: 13px; text-decoration: none; }
summary .cell.off { opacity: 0.25; }
section.run.off { display: none; }
a.permalink { color: var(--muted); text-decoration: none; text-align: center; }
.mark.passed, .cell.passed, section.run.passed .status { color: var(--ok); }
.mark.failed, .cell.failed, section.run.failed .status { color: var(--bad); font-weight: 700; }
.cell.failed { background: var(--bg-bad); }
.mark.known-failure, .cell.known-failure, section.run.known-failure .status { color: var(--known); }
.mark.not-applicable, .cell.not-applicable { color: var(--na); }
div.runs { padding: 4px 12px 10px; }
section.run { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
section.run:first-child { border-top: 0; margin-top: 0; }
section.run h3 { font-size: 15px; margin: 2px 0; }
section.run .status { display: inline-block; width: 1.2em; }
section.run .duration { color: var(--muted); font-weight: normal; font-size: 13px; }
section.problem { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--bad); border-radius: 3px; margin: 16px 0; padding: 8px 16px 12px; }
section.problem h2 { font-size: 16px; margin: 4px 0; color: var(--bad); }
section.matrix-notes { margin: 16px 0; }
p.meta { margin: 0; color: var(--muted); font-size: 13px; }
p.difference { color: #a33; margin: 2px 0; }
ul.files { list-style: none; padding: 0; margin: 4px 0 8px; display: flex; gap: 12px; flex-wrap: wrap; }
ul.files a { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre.failure { background: var(--bg-bad); border: 1px solid #f5c2c0; padding: 8px 12px; overflow-x: auto; line-height: 1.35; }
pre.failure mark.miss { background: #ffcdd2; color: #7f0000; font-weight: 600; display: inline-block; min-width: 100%; }
figure.ladder { margin: 8px 0; overflow-x: auto; border: 1px solid var(--line); background: #fff; }
figure.ladder object { display: block; }
section.run details { margin: 6px 0; }
section.run details > summary { cursor: pointer; font-weight: 600; }
details.wire.complete .ok { color: var(--ok); font-weight: normal; }
details.wire .bad { color: var(--bad); }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td code { font-size: 12px; }
span.flags.syn { color: #2e7d32; } span.flags.fin { color: #9e7c00; } span.flags.rst { color: #c62828; }
span.source.sock_diag { color: #6a1b9a; }
.empty, p.no-ladder, p.note { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
kbd { border: 1px solid #bbb; border-radius: 3px; padding: 0 4px; font-size: 11px; background: #f4f4f4; }
`;
