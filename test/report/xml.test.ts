import { describe, expect, it } from 'vitest';
import { bySelector, findAll, parseXml, textOf } from './xml.js';

describe('the test XML checker', () => {
  it('accepts well-formed documents and decodes entities', () => {
    const root = parseXml('<?xml version="1.0"?>\n<svg a="1&amp;2"><g class="x segment"><text>&lt;&#65;&#x42;&gt;</text></g><g/></svg>\n');
    expect(root.attrs['a']).toBe('1&2');
    expect(findAll(root, bySelector('g', 'segment'))).toHaveLength(1);
    expect(textOf(root)).toBe('<AB>');
  });

  it.each([
    ['unbalanced', '<svg><g></svg>'],
    ['unclosed', '<svg><g>'],
    ['unquoted attribute', '<svg a=1/>'],
    ['duplicate attribute', '<svg a="1" a="2"/>'],
    ['raw < in attribute', '<svg a="<"/>'],
    ['bare &', '<svg>a & b</svg>'],
    ['unknown entity', '<svg>&nbsp;</svg>'],
    ['two roots', '<svg/><svg/>'],
    ['text after root', '<svg/>x'],
    ['attributes run together', '<svg a="1"b="2"/>'],
  ])('rejects %s', (_, src) => {
    expect(() => parseXml(src)).toThrow();
  });
});
