import { describe, expect, it } from 'vitest';
import { parseRepr, type ReprNode } from '../../src/engine/repr/repr.js';
import { reprToJson } from '../../src/format/repr-json.js';

/** Parse (must succeed) and convert. */
function json(text: string): unknown {
  const parsed = parseRepr(text);
  expect(parsed.ok, text).toBe(true);
  return reprToJson(parsed.node);
}

describe('reprToJson', () => {
  it('maps scalars', () => {
    expect(json("'héllo'")).toBe('héllo');
    expect(json("b'abc'")).toBe('abc');
    expect(json("b'00ff'")).toBe('00ff');
    expect(json('42')).toBe(42);
    expect(json('-5')).toBe(-5);
    expect(json('9007199254740991')).toBe(9007199254740991);
    expect(json('9007199254740993')).toBe('9007199254740993'); // not exact as a double: keep digits
    expect(json('1000000000000000000000000000000')).toBe('1000000000000000000000000000000');
    expect(json('2.5')).toBe(2.5);
    expect(json('1e+100')).toBe(1e100);
    expect(json('None')).toBeNull();
    expect(json('True')).toBe(true);
    expect(json('False')).toBe(false);
    expect(json('inf')).toBe('Infinity');
    expect(json('-inf')).toBe('-Infinity');
    expect(json('nan')).toBe('NaN');
  });

  it('maps every sequence type to an array', () => {
    expect(json("(1, [2, 'x'], {3}, frozenset({'a'}), (), set(), frozenset())")).toEqual([1, [2, 'x'], [3], ['a'], [], [], []]);
  });

  it('keys dicts by str value, other keys by their repr', () => {
    expect(json("{'a': 1, 1: 'int key', (1, 2): 'tuple key', None: 'none key', 'b': {'c': None}}")).toEqual({
      a: 1,
      '1': 'int key',
      '(1, 2)': 'tuple key',
      None: 'none key',
      b: { c: null },
    });
  });

  it('keeps a __proto__ key as data', () => {
    const out = json("{'__proto__': 1}") as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":1}');
  });

  it('writes datetimes as ISO 8601 like Python isoformat()', () => {
    expect(json('datetime.datetime(2026, 11, 21, 5, 33, 46, 366459, tzinfo=datetime.timezone.utc)')).toBe(
      '2026-11-21T05:33:46.366459+00:00',
    );
    expect(json('datetime.datetime(2024, 1, 2, 0, 0)')).toBe('2024-01-02T00:00:00');
    expect(json('datetime.datetime(2024, 1, 2, 3, 4, 5)')).toBe('2024-01-02T03:04:05');
    expect(json('datetime.datetime(2024, 1, 2, 3, 4, 5, 60)')).toBe('2024-01-02T03:04:05.000060');
    expect(json('datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(seconds=19800)))')).toBe(
      '2024-01-02T03:04:00+05:30',
    );
    expect(json('datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=82800)))')).toBe(
      '2024-01-02T03:04:00-01:00',
    );
    expect(json('datetime.datetime(2024, 1, 2, 3, 4, tzinfo=<UTC>)')).toBe('2024-01-02T03:04:00+00:00');
    expect(json('datetime.date(2024, 2, 29)')).toBe('2024-02-29');
    expect(json('datetime.time(3, 4, 5, 678901)')).toBe('03:04:05.678901');
  });

  it('keeps the repr of a datetime whose zone is not a fixed offset', () => {
    const text = "datetime.datetime(2024, 1, 2, 3, 4, tzinfo=zoneinfo.ZoneInfo(key='Europe/Paris'))";
    expect(json(text)).toBe(text);
  });

  it('unwraps Decimal and UUID, keeps other calls as their repr', () => {
    expect(json("Decimal('3.14159265358979323846')")).toBe('3.14159265358979323846');
    expect(json("UUID('12345678-1234-5678-1234-567812345678')")).toBe('12345678-1234-5678-1234-567812345678');
    expect(json("bytearray(b'ba')")).toBe("bytearray(b'ba')");
    expect(json('HarnessError(\'kaboom "quoted" \\\'single\\\'\', 42)')).toBe('HarnessError(\'kaboom "quoted" \\\'single\\\'\', 42)');
    expect(json('<object object at 0x7f>')).toBe('<object object at 0x7f>');
  });

  it('drops the `...` budget marker but keeps cut strings as text', () => {
    expect(json("['aaaa', 'bbbb...', ...]")).toEqual(['aaaa', 'bbbb...']);
    expect(json("{'i': 26, 'sq...', ...}")).toEqual({ i: 26 });
    expect(json("{'x': 12..., ...}")).toEqual({ x: '12...' });
  });

  it('gives depth markers (a container saferepr or Python left out) an object, never the string', () => {
    expect(json("{'nested': {'deeper': {...}}}")).toEqual({ nested: { deeper: { $elided: 'dict' } } });
    expect(json('[1, [...]]')).toEqual([1, { $elided: 'list' }]);
    expect(json('((...), 2)')).toEqual([{ $elided: 'tuple' }, 2]);
    // A string that reads like a marker stays a string.
    expect(json("['[...]']")).toEqual(['[...]']);
  });

  it('returns raw text as is', () => {
    const raw: ReprNode = { kind: 'raw', text: '(3,) [custom argsrepr]' };
    expect(reprToJson(raw)).toBe('(3,) [custom argsrepr]');
    expect(reprToJson(parseRepr('(3,) [custom argsrepr]').node)).toBe('(3,) [custom argsrepr]');
  });
});
