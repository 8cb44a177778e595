/** Small HTML building blocks for the report: escaping, elements, tables. */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Removes terminal colour and cursor sequences (vitest error messages may carry them). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g, '');
}

export type HtmlAttrs = Record<string, string | number | boolean | undefined>;

/**
 * `<name attrs>children</name>`; children are HTML already, attribute values are
 * escaped. A true attribute is written `name=""`, so the page is well-formed XML too.
 */
export function tag(name: string, attrs: HtmlAttrs, ...children: string[]): string {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === true ? ` ${k}=""` : ` ${k}="${escapeHtml(String(v))}"`))
    .join('');
  return `<${name}${attrText}>${children.join('')}</${name}>`;
}

/** A table whose cells are HTML already; `head` are plain text. */
export function table(cls: string, head: string[], rows: string[][]): string {
  const thead = tag('thead', {}, tag('tr', {}, ...head.map((h) => tag('th', { scope: 'col' }, escapeHtml(h)))));
  const tbody = tag('tbody', {}, ...rows.map((cells) => tag('tr', {}, ...cells.map((c) => tag('td', {}, c)))));
  return tag('table', { class: cls }, thead, tbody);
}

/** href of a file inside the run folder, relative to report.html. */
export function relHref(...parts: string[]): string {
  return parts.map((p) => encodeURIComponent(p)).join('/');
}

/** Milliseconds as "578 ms" or "4.6 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Seconds since the case started, to the microsecond: "0.447830". */
export function formatSeconds(t: number): string {
  return t.toFixed(6);
}

/** ✓ passed, ✗ failed, ≈ a known failure, - not applicable */
export function statusMark(status: string): string {
  return status === 'passed' ? '✓' : status === 'failed' ? '✗' : status === 'known-failure' ? '≈' : '-';
}
