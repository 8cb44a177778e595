/**
 * A small, strict XML parser for tests: enough to prove an SVG is well-formed
 * (balanced tags, quoted attributes, no duplicate attributes, valid entity
 * references, one root) and to query the tree. Throws on the first error.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const match = ENTITY.exec(raw.slice(i));
    if (match === null) throw new Error(`bad entity reference near offset ${where + i}: ${raw.slice(i, i + 12)}`);
    const body = match[0].slice(1, -1);
    out += body.startsWith('#x')
      ? String.fromCodePoint(parseInt(body.slice(2), 16))
      : body.startsWith('#')
        ? String.fromCodePoint(parseInt(body.slice(1), 10))
        : PREDEFINED[body]!;
    i += match[0].length - 1;
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseDocument(): XmlElement {
    this.skipMisc();
    const root = this.element();
    this.skipMisc();
    if (this.pos !== this.src.length) this.fail('content after the root element');
    return root;
  }

  private fail(message: string): never {
    throw new Error(`${message} at offset ${this.pos}: ${JSON.stringify(this.src.slice(this.pos, this.pos + 30))}`);
  }

  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.src.startsWith('<?', this.pos)) this.skipPast('?>');
      else if (this.src.startsWith('<!--', this.pos)) this.skipPast('-->');
      else return;
    }
  }

  private skipSpace(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private skipPast(end: string): void {
    const at = this.src.indexOf(end, this.pos);
    if (at < 0) this.fail(`unterminated construct, missing ${end}`);
    this.pos = at + end.length;
  }

  private name(): string {
    const match = NAME.exec(this.src.slice(this.pos));
    if (match === null) this.fail('expected a name');
    this.pos += match[0].length;
    return match[0];
  }

  private element(): XmlElement {
    if (this.src[this.pos] !== '<') this.fail('expected <');
    this.pos++;
    const el: XmlElement = { name: this.name(), attrs: {}, children: [] };
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (this.src.startsWith('/>', this.pos)) {
        this.pos += 2;
        return el;
      }
      if (this.src[this.pos] === '>') {
        this.pos++;
        break;
      }
      if (this.pos === before) this.fail('expected whitespace before an attribute');
      this.attribute(el);
    }
    this.content(el);
    return el;
  }

  private attribute(el: XmlElement): void {
    const key = this.name();
    this.skipSpace();
    if (this.src[this.pos] !== '=') this.fail(`attribute ${key} without =`);
    this.pos++;
    this.skipSpace();
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") this.fail(`attribute ${key} value not quoted`);
    const end = this.src.indexOf(quote, this.pos + 1);
    if (end < 0) this.fail('unterminated attribute value');
    const raw = this.src.slice(this.pos + 1, end);
    if (raw.includes('<')) this.fail(`< in the value of ${key}`);
    if (key in el.attrs) this.fail(`duplicate attribute ${key}`);
    el.attrs[key] = decode(raw, this.pos + 1);
    this.pos = end + 1;
  }

  private content(el: XmlElement): void {
    for (;;) {
      const lt = this.src.indexOf('<', this.pos);
      if (lt < 0) this.fail(`unclosed <${el.name}>`);
      if (lt > this.pos) el.children.push(decode(this.src.slice(this.pos, lt), this.pos));
      this.pos = lt;
      if (this.src.startsWith('</', this.pos)) {
        this.pos += 2;
        const name = this.name();
        if (name !== el.name) this.fail(`</${name}> closes <${el.name}>`);
        this.skipSpace();
        if (this.src[this.pos] !== '>') this.fail('expected >');
        this.pos++;
        return;
      }
      if (this.src.startsWith('<!--', this.pos)) this.skipPast('-->');
      else el.children.push(this.element());
    }
  }
}

export function parseXml(src: string): XmlElement {
  return new Parser(src).parseDocument();
}

export function isElement(node: XmlElement | string): node is XmlElement {
  return typeof node !== 'string';
}

/** Every element below (and including) root that satisfies the predicate, in document order. */
export function findAll(root: XmlElement, pred: (el: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (el: XmlElement): void => {
    if (pred(el)) found.push(el);
    el.children.filter(isElement).forEach(walk);
  };
  walk(root);
  return found;
}

/** Like CSS `tag.class`: the element's class list contains the class. */
export function bySelector(tag: string, cls?: string): (el: XmlElement) => boolean {
  return (el) => el.name === tag && (cls === undefined || (el.attrs['class'] ?? '').split(/\s+/).includes(cls));
}

/** Text content; whitespace-only nodes between child elements (indentation) are left out. */
export function textOf(el: XmlElement): string {
  const mixed = el.children.some(isElement);
  return el.children
    .map((node) => (isElement(node) ? textOf(node) : mixed && node.trim() === '' ? '' : node))
    .join('');
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.filter(isElement).find((c) => c.name === name);
}
