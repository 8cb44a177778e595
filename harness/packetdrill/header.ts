/**
 * A script's header: the `--name[=value]` flags before its first statement, one per
 * line, among blank lines and comments. Read as text rather than tokens, so values
 * such as `fd3d::1` or `"4096 50000"` stay whole.
 */
import type { FlagSetting } from './ast.js';
import { scriptError } from './script-error.js';

export interface Header {
  flags: FlagSetting[];
  /** where the body starts */
  offset: number;
  line: number;
}

export function readHeader(text: string, file: string): Header {
  const flags: FlagSetting[] = [];
  let pos = 0;
  let line = 1;
  const skipTo = (to: number): void => {
    for (; pos < to; pos++) if (text[pos] === '\n') line++;
  };
  const skipSpace = (): void => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\r')) pos++;
  };
  for (;;) {
    const m = /[^\s]/.exec(text.slice(pos));
    if (!m) break;
    skipTo(pos + m.index);
    if (text.startsWith('//', pos)) {
      const nl = text.indexOf('\n', pos);
      skipTo(nl < 0 ? text.length : nl);
      continue;
    }
    if (text.startsWith('/*', pos)) {
      const close = text.indexOf('*/', pos + 2);
      if (close < 0) throw scriptError(file, line, 'unterminated /* comment');
      skipTo(close + 2);
      continue;
    }
    const name = /^--([A-Za-z0-9_]+)/.exec(text.slice(pos));
    if (!name) break;
    const flagLine = line;
    pos += name[0].length;
    skipSpace();
    let value: string | undefined;
    if (text[pos] === '=') {
      pos++;
      skipSpace();
      const start = pos;
      // up to white space or a comment; a "quoted part" may hold spaces
      while (pos < text.length && !/\s/.test(text[pos]) && !text.startsWith('//', pos) && !text.startsWith('/*', pos)) {
        if (text[pos] === '"') {
          const close = text.indexOf('"', pos + 1);
          if (close < 0 || text.slice(pos, close).includes('\n')) throw scriptError(file, line, `--${name[1]}: unterminated string`);
          pos = close;
        }
        pos++;
      }
      value = text.slice(start, pos);
      if (value === '') throw scriptError(file, line, `--${name[1]}= has no value`);
      if (/^"[^"]*"$/.test(value)) value = value.slice(1, -1);
    }
    flags.push({ name: name[1], value, where: { file, line: flagLine } });
  }
  return { flags, offset: pos, line };
}
