/**
 * A failing case's message in the HTML report. The matchers write the expected
 * sequence beside the observed one and mark the first mismatch with ✗; the report
 * shows that table in a <pre> with the ✗ lines highlighted. The observed ladder the
 * message ends with is left out: the section draws it as SVG.
 */
import { escapeHtml, stripAnsi, tag } from './html-util.js';

const LADDER_HEADING = /\n\s*observed ladder:\n/;

/** `at cases/x.case.ts:12:3`: where the runner says the failure was raised. */
const LOCATION = /^at \S+:\d+:\d+$/;

/** The message without its trailing observed ladder and pcap path (the location stays). */
export function failureBody(message: string): string {
  const text = stripAnsi(message).replace(/\r\n/g, '\n');
  const cut = text.search(LADDER_HEADING);
  if (cut < 0) return text.replace(/\s+$/, '');
  const where = text.slice(cut).split('\n').filter((line) => LOCATION.test(line));
  return [text.slice(0, cut).replace(/\s+$/, ''), ...(where.length ? ['', ...where] : [])].join('\n');
}

/** `<pre class="failure">`: first line as the headline, every line with ✗ in a <mark>. */
export function failureHtml(message: string): string {
  const lines = failureBody(message).split('\n');
  const body = lines.map((line, i) => {
    const text = escapeHtml(line);
    if (line.includes('✗')) return tag('mark', { class: 'miss' }, text);
    if (i === 0) return tag('strong', {}, text);
    return text;
  });
  return tag('pre', { class: 'failure' }, body.join('\n'));
}
