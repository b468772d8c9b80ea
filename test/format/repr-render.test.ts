import { describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';
import { parseRepr, type ReprNode } from '../../src/engine/repr/repr.js';
import { quote, renderRepr, renderReprText, visible } from '../../src/format/repr-render.js';

const PLAIN = makePalette(false);
const COLOUR = makePalette(true);

/** Parse (must succeed) and render without colour. */
function plain(text: string, opts?: { kwargs?: boolean }): string {
  const parsed = parseRepr(text);
  expect(parsed.ok, text).toBe(true);
  return renderRepr(parsed.node, PLAIN, opts);
}

describe('renderRepr without colour', () => {
  it.each([
    ['()', '()'],
    ['(2,)', '(2,)'],
    ['(2, 3)', '(2, 3)'],
    ['[1, [2, []]]', '[1, [2, []]]'],
    ["{1: 'int key', (1, 2): 'tuple key', None: 'none key'}", "{1: 'int key', (1, 2): 'tuple key', None: 'none key'}"],
    ['{}', '{}'],
    ['{1, 2, 3}', '{1, 2, 3}'],
    ['set()', 'set()'],
    ['frozenset()', 'frozenset()'],
    ["frozenset({'a'})", "frozenset({'a'})"],
    ['[None, True, False, inf, -inf, nan]', '[None, True, False, inf, -inf, nan]'],
    ['[1000000000000000000000000000000, -5, 2.5, 1e+100, -0.0]', '[1000000000000000000000000000000, -5, 2.5, 1e+100, -0.0]'],
    ["b'627974657300ff'", "b'627974657300ff'"],
    ["b'abc'", "b'abc'"],
    [
      'datetime.datetime(2026, 11, 21, 5, 33, 46, 366459, tzinfo=datetime.timezone.utc)',
      'datetime.datetime(2026, 11, 21, 5, 33, 46, 366459, tzinfo=datetime.timezone.utc)',
    ],
    ["Decimal('1.10')", "Decimal('1.10')"],
    ["Point(x=1, y='a')", "Point(x=1, y='a')"],
    ['<object object at 0x7f49b1765020>', '<object object at 0x7f49b1765020>'],
    ["{'nested': {'deeper': {...}}}", "{'nested': {'deeper': {...}}}"],
    ['[[[[...]]], (((...,),),)]', '[[[[...]]], (((...,),),)]'],
    ["{'i': 26, 'sq...', ...}", "{'i': 26, 'sq...', ...}"], // a key cut before its value stays as Celery wrote it
    ["['LLLL...', ...", "['LLLL...', ...]"],
    ['[1, [, ...]]', '[1, [...]]'],
    ["{'x': 12..., ...}", "{'x': 12..., ...}"],
  ])('%s → %s', (text, expected) => {
    expect(plain(text)).toBe(expected);
  });

  it('re-escapes strings: quotes, backslashes and control chars, never raw', () => {
    expect(plain("'it\\'s'")).toBe("'it\\'s'");
    expect(plain("'back\\slash'")).toBe("'back\\\\slash'");
    expect(plain("'a\nb\tc\r\u0000\u001b[31m\u007f\u0085'")).toBe("'a\\nb\\tc\\r\\x00\\x1b[31m\\x7f\\x85'");
    expect(plain("'bidi \u202e override'")).toBe("'bidi \\u202e override'");
    expect(plain("'héllo ✓ 😀 日本語'")).toBe("'héllo ✓ 😀 日本語'");
    expect(plain("E('a\\\\b\\x00', \"it's\")")).toBe("E('a\\\\b\\x00', 'it\\'s')");
  });

  it('shows kwargs as name=value without braces when every key is a string', () => {
    expect(plain("{'a': 1, 'b': 'x'}", { kwargs: true })).toBe("a=1, b='x'");
    expect(plain('{}', { kwargs: true })).toBe('');
    expect(plain("{'long': 'LLL...', ...}", { kwargs: true })).toBe("long='LLL...', ...");
    expect(plain("{1: 'a'}", { kwargs: true })).toBe("{1: 'a'}");
    expect(plain('(1, 2)', { kwargs: true })).toBe('(1, 2)');
  });

  it('renders hand-built nodes, including raw text made visible', () => {
    const node: ReprNode = { kind: 'list', items: [{ kind: 'raw', text: 'a\u001bb' }, { kind: 'ellipsis', text: '...' }] };
    expect(renderRepr(node, PLAIN)).toBe('[a\\x1bb, ...]');
    expect(renderRepr({ kind: 'tuple', items: [{ kind: 'ellipsis', text: '(...)' }] }, PLAIN)).toBe('((...),)');
  });
});

describe('renderRepr with colour', () => {
  it('paints each kind of value with its palette colour', () => {
    const parsed = parseRepr("(1, 'x', None, [2], {'k': b'v'})");
    const expected = [
      COLOUR.tuple('('),
      COLOUR.num('1'),
      COLOUR.punct(', '),
      COLOUR.str("'x'"),
      COLOUR.punct(', '),
      COLOUR.keyword('None'),
      COLOUR.punct(', '),
      COLOUR.list('['),
      COLOUR.num('2'),
      COLOUR.list(']'),
      COLOUR.punct(', '),
      COLOUR.dict('{'),
      COLOUR.str("'k'"),
      COLOUR.punct(': '),
      COLOUR.bytes("b'v'"),
      COLOUR.dict('}'),
      COLOUR.tuple(')'),
    ].join('');
    expect(renderRepr(parsed.node, COLOUR)).toBe(expected);
    expect(expected).toContain('\u001b['); // the palette really colours
  });

  it('paints kwargs names, calls, sets and cut markers', () => {
    expect(renderReprText("{'a': Decimal('1'), 'b': {1}, ...}", COLOUR, { kwargs: true })).toBe(
      [
        COLOUR.key('a'),
        COLOUR.punct('='),
        COLOUR.call('Decimal('),
        COLOUR.str("'1'"),
        COLOUR.call(')'),
        COLOUR.punct(', '),
        COLOUR.key('b'),
        COLOUR.punct('='),
        COLOUR.set('{'),
        COLOUR.num('1'),
        COLOUR.set('}'),
        COLOUR.punct(', '),
        COLOUR.truncated('...'),
      ].join(''),
    );
  });
});

describe('renderReprText', () => {
  it('renders what parses', () => {
    expect(renderReprText('(3,)', PLAIN)).toBe('(3,)');
  });

  it('shows anything else verbatim, control chars made visible', () => {
    expect(renderReprText('(3,) [custom argsrepr]', PLAIN)).toBe('(3,) [custom argsrepr]');
    expect(renderReprText('free\ttext\u001b[2J\n', PLAIN)).toBe('free\\ttext\\x1b[2J\\n');
    expect(renderReprText('(3,) [x]', COLOUR)).toBe(COLOUR.raw('(3,) [x]'));
  });
});

describe('quote / visible', () => {
  it('quote() writes a Python literal', () => {
    expect(quote('')).toBe("''");
    expect(quote("a'b\\c\n")).toBe("'a\\'b\\\\c\\n'");
  });

  it('visible() escapes only what does not print, optionally keeping lines', () => {
    expect(visible('plain \\ text')).toBe('plain \\ text');
    expect(visible('a\nb\tc\u001b\u2028')).toBe('a\\nb\\tc\\x1b\\u2028');
    expect(visible('a\nb\tc\u001b', true)).toBe('a\nb\tc\\x1b');
    expect(visible('👨\u200d👩')).toBe('👨\u200d👩'); // emoji joiners stay
    expect(visible('\ud800x')).toBe('\\ud800x'); // lone surrogate
  });
});
