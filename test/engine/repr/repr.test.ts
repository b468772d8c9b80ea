import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makePalette } from '../../../src/format/colors.js';
import { parseRepr, type ReprNode } from '../../../src/engine/repr/repr.js';
import { renderRepr, renderReprText, visible } from '../../../src/format/repr-render.js';
import { reprToJson } from '../../../src/format/repr-json.js';
import { rng } from '../../helpers/rng.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const PLAIN = makePalette(false);

// small constructors so expectations stay readable
const str = (value: string): ReprNode => ({ kind: 'str', value });
const int = (text: string): ReprNode => ({ kind: 'int', text });
const float = (text: string): ReprNode => ({ kind: 'float', text });
const c = (value: 'None' | 'True' | 'False' | 'inf' | '-inf' | 'nan'): ReprNode => ({ kind: 'const', value });
const list = (...items: ReprNode[]): ReprNode => ({ kind: 'list', items });
const tuple = (...items: ReprNode[]): ReprNode => ({ kind: 'tuple', items });
const set = (...items: ReprNode[]): ReprNode => ({ kind: 'set', items });
const dict = (...entries: Array<[ReprNode, ReprNode]>): ReprNode => ({ kind: 'dict', entries });
const call = (callee: string, args: ReprNode[], kwargs: Array<[string, ReprNode]> = []): ReprNode => ({
  kind: 'call',
  callee,
  args,
  kwargs,
});
const opaque = (text: string): ReprNode => ({ kind: 'opaque', text });
const ell = (text: string): ReprNode => ({ kind: 'ellipsis', text });
const CUT = ell('...');

function ok(text: string, node: ReprNode, truncated = false): void {
  expect(parseRepr(text)).toEqual({ node, ok: true, truncated });
}

/** Every task-event repr field in a capture (task.multi bodies are lists of events). */
function fixtureReprs(file: string): Array<{ field: string; type: string; value: string }> {
  const out: Array<{ field: string; type: string; value: string }> = [];
  for (const line of readFileSync(new URL(file, FIXTURES), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const body: unknown = (JSON.parse(line) as { body?: unknown }).body;
    for (const ev of Array.isArray(body) ? body : [body]) {
      if (typeof ev !== 'object' || ev === null) continue;
      const e = ev as Record<string, unknown>;
      for (const field of ['args', 'kwargs', 'result', 'exception']) {
        const v = e[field];
        if (typeof v === 'string') out.push({ field, type: String(e['type']), value: v });
      }
    }
  }
  return out;
}

describe('parseRepr: scalars', () => {
  it('reads saferepr strings: only \\\' is an escape, everything else is raw', () => {
    ok("'héllo ✓ 😀'", str('héllo ✓ 😀'));
    ok("'it\\'s'", str("it's"));
    ok("'a\nb\tc\u0000\u001b[31m'", str('a\nb\tc\u0000\u001b[31m'));
    ok("'back\\slash \\n'", str('back\\slash \\n'));
    ok("''", str(''));
  });

  it('tells a raw trailing backslash from an escaped quote', () => {
    // saferepr(['C:\\dir\\', 'D:\\']) as produced by celery 5.2
    ok("['C:\\dir\\', 'D:\\']", list(str('C:\\dir\\'), str('D:\\')));
    // saferepr("x', 'y"): the inner quotes are escaped, the string is one value
    ok("'x\\', \\'y'", str("x', 'y"));
    ok("'[\\'a\\', \\'b\\']'", str("['a', 'b']"));
  });

  it('reads bytes as text or, when not UTF-8, hex digits', () => {
    ok("b'abc'", { kind: 'bytes', value: 'abc', hex: false });
    // ambiguous: the text "ba", or the byte 0xba that saferepr prints as hex; hex digits that do
    // not decode as UTF-8 are taken as hex
    ok("b'ba'", { kind: 'bytes', value: 'ba', hex: true });
    ok("b'627974657300ff'", { kind: 'bytes', value: '627974657300ff', hex: true });
    ok("b'00ff'", { kind: 'bytes', value: '00ff', hex: true });
    ok("b'1234'", { kind: 'bytes', value: '1234', hex: false }); // bytes 0x12 0x34 decode: was text
    ok("b'it's'", { kind: 'bytes', value: "it's", hex: false }); // saferepr escapes nothing in bytes
  });

  it('keeps number text, whatever its size', () => {
    ok('42', int('42'));
    ok('-5', int('-5'));
    ok('1000000000000000000000000000000', int('1000000000000000000000000000000'));
    ok('2.5', float('2.5'));
    ok('-0.0', float('-0.0'));
    ok('1e+100', float('1e+100'));
    ok('1.5e-07', float('1.5e-07'));
  });

  it('reads None/True/False/inf/-inf/nan', () => {
    ok('None', c('None'));
    ok('True', c('True'));
    ok('False', c('False'));
    ok('inf', c('inf'));
    ok('-inf', c('-inf'));
    ok('nan', c('nan'));
  });

  it('keeps <…> reprs, bare names and complex numbers as opaque text', () => {
    ok('<object object at 0x7f49b1765020>', opaque('<object object at 0x7f49b1765020>'));
    ok('[<function <lambda> at 0x1>]', list(opaque('<function <lambda> at 0x1>')));
    ok('<Recursion on list with id=139954469056128>', opaque('<Recursion on list with id=139954469056128>'));
    ok('datetime.timezone.utc', opaque('datetime.timezone.utc'));
    ok('[(1+2j), -1j]', list(opaque('(1+2j)'), opaque('-1j')));
  });
});

describe('parseRepr: containers', () => {
  it('reads lists, tuples (incl. 1-tuples and empty) and nesting', () => {
    ok('()', tuple());
    ok('(2,)', tuple(int('2')));
    ok('(2, 3)', tuple(int('2'), int('3')));
    ok('([1, 2, 3],)', tuple(list(int('1'), int('2'), int('3'))));
    ok('[]', list());
    ok('(((1,),),)', tuple(tuple(tuple(int('1')))));
  });

  it('reads dicts with keys of any type', () => {
    ok('{}', dict());
    ok(
      "{1: 'int key', (1, 2): 'tuple key', None: 'none key'}",
      dict([int('1'), str('int key')], [tuple(int('1'), int('2')), str('tuple key')], [c('None'), str('none key')]),
    );
  });

  it('reads sets, set(), frozenset() and frozenset({…})', () => {
    ok('{1, 2, 3}', set(int('1'), int('2'), int('3')));
    ok("{'set': {1}}", dict([str('set'), set(int('1'))]));
    ok('set()', { kind: 'set', items: [] });
    ok('frozenset()', { kind: 'frozenset', items: [] });
    ok("frozenset({'a'})", { kind: 'frozenset', items: [str('a')] });
  });

  it('reads depth markers', () => {
    ok("{'nested': {'deeper': {...}}}", dict([str('nested'), dict([str('deeper'), ell('{...}')])]));
    ok('[[[[...]]], (((...,),),)]', list(list(list(ell('[...]'))), tuple(tuple(ell('(...,)')))));
    ok('[(...)]', list(ell('(...)')));
    ok('frozenset({...})', ell('frozenset({...})'));
  });

  it('rejects a parenthesised value that is not a tuple', () => {
    expect(parseRepr('(x)').ok).toBe(false);
  });
});

describe('parseRepr: calls', () => {
  it('reads datetime, date, Decimal, UUID with positional and keyword arguments', () => {
    ok(
      'datetime.datetime(2026, 11, 21, 5, 33, 46, 366459, tzinfo=datetime.timezone.utc)',
      call(
        'datetime.datetime',
        ['2026', '11', '21', '5', '33', '46', '366459'].map(int),
        [['tzinfo', opaque('datetime.timezone.utc')]],
      ),
    );
    ok('datetime.date(2024, 2, 29)', call('datetime.date', [int('2024'), int('2'), int('29')]));
    ok("Decimal('1.10')", call('Decimal', [str('1.10')]));
    ok("UUID('12345678-1234-5678-1234-567812345678')", call('UUID', [str('12345678-1234-5678-1234-567812345678')]));
  });

  it('reads exception reprs with real Python escaping', () => {
    ok(
      'HarnessError(\'kaboom "quoted" \\\'single\\\'\', 42)',
      call('HarnessError', [str('kaboom "quoted" \'single\''), int('42')]),
    );
    ok("E('a\\\\b\\nc\\x00\\x1b\\u2713\\U0001f600\\t')", call('E', [str('a\\b\nc\u0000\u001b✓😀\t')]));
    ok('E("it\'s")', call('E', [str("it's")]));
    ok(
      "EncodeError(TypeError('Object of type set is not JSON serializable'))",
      call('EncodeError', [call('TypeError', [str('Object of type set is not JSON serializable')])]),
    );
    ok('ExceptionWithTraceback()', call('ExceptionWithTraceback', []));
    ok("bytearray(b'ba')", call('bytearray', [{ kind: 'bytes', value: 'ba', hex: false }]));
    ok("Point(x=1, y='a')", call('Point', [], [['x', int('1')], ['y', str('a')]]));
  });

  it('keeps a call whose arguments are not literals as opaque text', () => {
    ok('[Foo(a b), 1]', list(opaque('Foo(a b)'), int('1')));
  });
});

describe('parseRepr: saferepr truncation', () => {
  it('reads a cut string, the `, ...` marker and the closers', () => {
    ok("{'long': 'LLLL...', ...}", dict([str('long'), str('LLLL...')], [CUT, CUT]), true);
    ok("[('LLLL...', ...)]", list(tuple(str('LLLL...'), CUT)), true);
  });

  it('reads a key cut before its value', () => {
    ok(
      "{'n': 2000, 'items': [{'i': 26, 'sq...', ...}]}",
      dict([str('n'), int('2000')], [str('items'), list(dict([str('i'), int('26')], [str('sq...'), CUT]))]),
      true,
    );
  });

  // all of these are real celery 5.2 saferepr outputs for small budgets
  it('accepts a missing closer (the token that hit the budget is swallowed)', () => {
    ok("[['aaaa', 'bbbb...', ...]", list(list(str('aaaa'), str('bbbb...'), CUT)), true);
    ok("(frozenset({'aaa...', ...)", tuple({ kind: 'frozenset', items: [str('aaa...'), CUT] }), true);
    ok('[1, -i..., ...', list(int('1'), opaque('-i...'), CUT), true);
  });

  it('accepts an extra closer and a marker right after a separator or opener', () => {
    ok('[1, [, ...]]', list(int('1'), list(CUT)), true);
    ok("['aaaa', 'bbbb', , ...]", list(str('aaaa'), str('bbbb'), CUT), true);
    ok('[frozenset({, ...})]', list({ kind: 'frozenset', items: [CUT] }), true);
  });

  it('keeps a cut number, name or call as opaque text', () => {
    ok("{'x': 12..., ...}", dict([str('x'), opaque('12...')], [CUT, CUT]), true);
    ok("{'k': -..., ...}", dict([str('k'), opaque('-...')], [CUT, CUT]), true);
    ok('[datetime.datetime(2026, 11,..., ...]', list(opaque('datetime.datetime(2026, 11,...'), CUT), true);
    ok('[{3: [...]..., ...}]', list(dict([int('3'), opaque('[...]...')], [CUT, CUT])), true);
  });
});

describe('parseRepr: not a repr', () => {
  it.each([
    '(3,) [custom argsrepr]',
    'free text',
    '[1, 2',
    "'unterminated",
    '',
    '{1: }',
    ')(',
  ])('%j is a raw node holding the whole text', (text) => {
    expect(parseRepr(text)).toEqual({ node: { kind: 'raw', text }, ok: false, truncated: false });
  });
});

describe('parseRepr: captured events', () => {
  const all = [...fixtureReprs('amqp-events.ndjson'), ...fixtureReprs('redis-events.ndjson')];

  it('parses every args/kwargs/result/exception of both captures', () => {
    expect(all.length).toBeGreaterThan(100);
    const failed = all.filter((r) => !parseRepr(r.value).ok).map((r) => r.value);
    expect(failed).toEqual([]);
  });

  it('flags exactly the long reprs as truncated', () => {
    for (const r of all) expect(parseRepr(r.value).truncated, r.value.slice(0, 60)).toBe(r.value.length > 1024);
  });

  it('reads the tasks.big result: a dict with n=2000 and a cut items list', () => {
    const big = all.find((r) => r.field === 'result' && r.value.startsWith("{'n': 2000"));
    expect(big?.value.length).toBe(1037);
    const parsed = parseRepr(big?.value ?? '');
    expect(parsed.ok).toBe(true);
    expect(parsed.truncated).toBe(true);
    const json = reprToJson(parsed.node) as { n: number; items: Array<Record<string, unknown>> };
    expect(Object.keys(json)).toEqual(['n', 'items']);
    expect(json.n).toBe(2000);
    expect(json.items).toHaveLength(27);
    expect(json.items[5]).toEqual({ i: 5, sq: 25, s: 'xxxxxxxx' });
    expect(json.items[26]).toEqual({ i: 26 }); // `'sq...'` had no value left
  });

  it('reads the 350-char mixed args with datetime, Decimal, control chars and a depth marker', () => {
    const mixed = all.find((r) => r.field === 'args' && r.value.startsWith('(datetime.datetime(2024'));
    const parsed = parseRepr(mixed?.value ?? '');
    expect(parsed.ok).toBe(true);
    expect(reprToJson(parsed.node)).toEqual([
      '2024-01-02T03:04:05.678901+00:00',
      '2024-02-29',
      '3.14159265358979323846',
      '12345678-1234-5678-1234-567812345678',
      [1, 'two', 3],
      null,
      true,
      false,
      'Infinity',
      '-Infinity',
      'NaN',
      'unicode: héllo wörld ✓ 日本語 😀',
      'control:\u0000\u0001\u0007\t\n\r\u001b[31m\'quote\' "dq" back\\slash',
      { nested: { deeper: { $elided: 'dict' } } },
    ]);
  });

  it('reads the long truncated kwargs and list args', () => {
    const kw = all.find((r) => r.field === 'kwargs' && r.value.startsWith("{'long': 'LLL"));
    const node = parseRepr(kw?.value ?? '').node;
    expect(node.kind === 'dict' && node.entries.map(([k]) => k)).toEqual([str('long'), CUT]);
    const args = all.find((r) => r.field === 'args' && r.value.startsWith("['LLL"));
    const list = parseRepr(args?.value ?? '').node;
    expect(list.kind === 'list' && list.items.length).toBe(2);
  });
});

describe('parseRepr: robustness', () => {
  it('falls back to raw on 100k nested brackets without blowing the stack', () => {
    for (const text of ['['.repeat(100_000) + ']'.repeat(100_000), '('.repeat(100_000), '{'.repeat(50_000) + "'a': 1"]) {
      const parsed = parseRepr(text);
      expect(parsed.ok).toBe(false);
      expect(parsed.node).toEqual({ kind: 'raw', text });
    }
  });

  it('handles megabyte inputs in linear time', () => {
    // Each shape at n and 8n units: linear parsing takes ~8× longer, a quadratic path ~64×.
    // A ratio (best of 2 runs each) instead of a wall-clock limit, so a busy machine cannot fail it.
    const shapes: ((n: number) => string)[] = [
      (n) => "'" + 'a'.repeat(n * 8) + "'",
      (n) => '[' + Array.from({ length: n }, (_, i) => String(i)).join(', ') + ']',
      (n) => '[' + 'Foo(a b c..., '.repeat(n / 5) + ']',
      (n) => '[' + '<a..., '.repeat(n),
      (n) => "['a\\', ".repeat(n),
      (n) => 'Foo(' + "'a', ".repeat(n),
      (n) => '[1' + ', ...'.repeat(n),
      (n) => 'x'.repeat(n * 8),
    ];
    const best = (text: string): number => {
      let min = Infinity;
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        expect(() => parseRepr(text)).not.toThrow();
        min = Math.min(min, performance.now() - t0);
      }
      return min;
    };
    for (const shape of shapes) {
      const small = best(shape(6_250));
      const large = best(shape(50_000));
      expect(large / Math.max(small, 0.5)).toBeLessThan(24);
    }
  });
});

describe('parseRepr: fuzz', () => {
  const ALPHABET = "()[]{}'\",:.\\ bxe-+0123456789abcNTFinf\n\t\u0000\u001b\u202eé😀<>=...";
  const seeds = fixtureReprs('amqp-events.ndjson').map((r) => r.value);

  function sample(rand: () => number): string {
    const pick = (s: string): string => s[Math.floor(rand() * s.length)] ?? '';
    const mode = rand();
    if (mode < 0.4) {
      // random garbage over repr-ish characters
      const n = Math.floor(rand() * 60);
      let s = '';
      for (let i = 0; i < n; i++) s += pick(ALPHABET);
      return s;
    }
    // mutate a real repr: insert, delete, replace, or cut
    let s = seeds[Math.floor(rand() * seeds.length)] ?? '';
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * (s.length + 1));
      const op = rand();
      if (op < 0.3) s = s.slice(0, at) + pick(ALPHABET) + s.slice(at);
      else if (op < 0.6) s = s.slice(0, at) + s.slice(at + 1);
      else if (op < 0.8) s = s.slice(0, at) + pick(ALPHABET) + s.slice(at + 1);
      else s = s.slice(0, at);
    }
    return s;
  }

  it('never throws, and a failed parse renders the whole input', () => {
    const rand = rng(20240229);
    let failed = 0;
    for (let i = 0; i < 5000; i++) {
      const text = sample(rand);
      const parsed = parseRepr(text);
      const rendered = renderReprText(text, PLAIN);
      expect(() => JSON.stringify(reprToJson(parsed.node))).not.toThrow();
      expect(() => renderRepr(parsed.node, PLAIN, { kwargs: true })).not.toThrow();
      if (!parsed.ok) {
        failed++;
        expect(parsed.node).toEqual({ kind: 'raw', text });
        expect(rendered).toContain(visible(text));
      }
      // nothing unprintable reaches the terminal either way
      expect(rendered).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    }
    expect(failed).toBeGreaterThan(1000); // the generator does produce garbage
  });
});
