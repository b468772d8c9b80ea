import { describe, expect, it } from 'vitest';
import { compileRedactor, DEFAULT_REDACT_PATTERN, type Redactor } from '../../../src/engine/redact/redact.js';
import { parseRepr } from '../../../src/engine/repr/repr.js';
import { pyRepr } from '../../../src/engine/backend/task-meta.js';
import { rng } from '../../helpers/rng.js';

const r = compileRedactor(DEFAULT_REDACT_PATTERN) as Redactor;

describe('redact: repr text', () => {
  it('replaces the value of a matching dict key, at any depth, and leaves the rest alone', () => {
    expect(r.text("{'password': 'hunter2', 'user': 'bob'}")).toBe("{'password': '***', 'user': 'bob'}");
    expect(r.text("({'name': 'x', 'creds': {'api_key': 'AKIA123', 'region': 'eu'}}, 5)")).toBe(
      "({'name': 'x', 'creds': {'api_key': '***', 'region': 'eu'}}, 5)",
    );
    expect(r.text("{'Authorization': 'Bearer abc', 'X-Api-Key': 42}")).toBe("{'Authorization': '***', 'X-Api-Key': '***'}");
  });

  it('replaces a whole container value, and keyword-style names in calls', () => {
    expect(r.text("{'secret': {'a': [1, 2, (3, 4)], 'b': 'x,y'}, 'ok': 1}")).toBe("{'secret': '***', 'ok': 1}");
    expect(r.text("Login(user='bob', password='hunter2')")).toBe("Login(user='bob', password='***')");
    expect(r.text("{b'session': b'abc,def', 'n': 1}")).toBe("{b'session': '***', 'n': 1}");
  });

  it('returns the very same string when nothing matches (no copy on the hot path)', () => {
    const s = "({'user': 'bob', 'n': 1e-5}, [1, 2, 3])";
    expect(r.text(s)).toBe(s);
    const mentions = "{'note': 'reset your password'}";
    expect(r.text(mentions)).toBe(mentions);
  });

  it('redacts inside string values: headers, URLs, JSON, str() of a dict', () => {
    expect(r.text("'Authorization: Bearer abc.def'")).toBe('\'Authorization: "***"\'');
    expect(r.text("'https://x.example/cb?token=abc123&x=1'")).not.toContain('abc123');
    expect(r.text(`'{"password": "hunter2"}'`)).toBe(`'{"password": "***"}'`);
    expect(r.text(`"{'password': 'hunter2'}"`)).toBe(`"{'password': '***'}"`);
    expect(r.text("'{\\'password\\': \\'hunter2\\', \"x\": 1}'")).not.toContain('hunter2');
    // In free text a value runs to a comma, a closing bracket or the end: more goes, never less.
    expect(r.text(`ValueError("password='hunter2' is wrong")`)).toBe(`ValueError("password='***'")`);
  });

  it('a value cut by saferepr is redacted to the end of the text', () => {
    expect(r.text("{'user': 'bob', 'password': 'hunter2hunter2hun")).toBe("{'user': 'bob', 'password': '***'");
    expect(r.text("{'token': {'a': 1, 'b': [1, 2")).toBe("{'token': '***'");
    expect(r.text("{'token': ")).toBe("{'token': '***'");
  });

  it('a dict written as pairs (OrderedDict before Python 3.12, dict.items()): the value of a matching key', () => {
    expect(r.text("OrderedDict([('user', 'bob'), ('password', 'hunter2'), ('n', 1)])")).toBe("OrderedDict([('user', 'bob'), ('password', '***'), ('n', 1)])");
    expect(r.text("dict_items([('api_key', {'a': 'AKIA1'})])")).toBe("dict_items([('api_key', '***')])");
    expect(r.text("[('token', 'abc'")).toBe("[('token', '***'");
    // Not a pair of a list of pairs: a call's first argument, a one-element tuple.
    expect(r.text("f('token', 'abc')")).toBe("f('token', 'abc')");
    expect(r.text("[('token',)]")).toBe("[('token',)]");
  });

  it('keeps a whole repr parseable, with the placeholder as a string', () => {
    const out = r.text("{'password': 'hunter2', 'nested': [{'cvv': 123}], 'n': 3}");
    const parsed = parseRepr(out);
    expect(parsed.ok).toBe(true);
    expect(out).toBe("{'password': '***', 'nested': [{'cvv': '***'}], 'n': 3}");
  });

  it('is case-insensitive and unanchored; a pattern with anchors still works (no prefilter)', () => {
    expect(r.text("{'CSRF_TOKEN': 'x1'}")).toBe("{'CSRF_TOKEN': '***'}");
    const anchored = compileRedactor('^pin$') as Redactor;
    expect(anchored.text("{'pin': 1234, 'spin': 5}")).toBe("{'pin': '***', 'spin': 5}");
    expect(anchored.text("{'note': 'pin: 1234, ok'}")).toBe(`{'note': 'pin: "***", ok'}`);
  });

  it("'' turns it off; an invalid pattern throws", () => {
    expect(compileRedactor('')).toBeNull();
    expect(() => compileRedactor('(')).toThrow(SyntaxError);
  });

  it('never leaves a secret readable, wherever saferepr cuts (generated dicts, every cut point)', () => {
    const rand = rng(16);
    const keys = ['password', 'user', 'api_key', 'n', 'Cookie', 'items', 'session_id', 'x'];
    const secretKey = (k: string): boolean => new RegExp(DEFAULT_REDACT_PATTERN, 'i').test(k);
    let n = 0;
    const gen = (depth: number, secrets: string[]): unknown => {
      const o: Record<string, unknown> = {};
      const count = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < count; i++) {
        const k = keys[Math.floor(rand() * keys.length)]!;
        if (secretKey(k)) {
          const s = `S3CR3T${n++}`;
          secrets.push(s);
          o[k] = rand() < 0.3 && depth < 3 ? { inner: s, more: [s, 1] } : rand() < 0.5 ? s : [s, `${s}, x`];
        } else {
          o[k] = depth < 3 && rand() < 0.4 ? gen(depth + 1, secrets) : rand() < 0.5 ? `v'al"${i}` : [i, 'a,b', { q: i }];
        }
      }
      return o;
    };
    for (let t = 0; t < 200; t++) {
      const secrets: string[] = [];
      const text = pyRepr([gen(0, secrets), 'tail']);
      const out = r.text(text);
      for (const s of secrets) expect(out).not.toContain(s);
      expect(parseRepr(out).ok).toBe(true);
      for (let cut = 1; cut < text.length; cut += 7) {
        const c = r.text(text.slice(0, cut));
        // A secret cut to a prefix is still a secret: no 4+ character start of one may show.
        for (const s of secrets) expect(c).not.toContain(s.slice(0, 4) + s.slice(6, 7));
      }
    }
  });
});

describe('redact: JSON values (whole results from the backend)', () => {
  it('replaces matching keys at any depth and keeps the same reference when nothing matches', () => {
    const v = { user: 'bob', list: [{ password: 'hunter2' }, 1], deep: { a: { cvv: 123 } } };
    expect(r.value(v)).toEqual({ user: 'bob', list: [{ password: '***' }, 1], deep: { a: { cvv: '***' } } });
    expect(v.list[0]).toEqual({ password: 'hunter2' });
    const clean = { a: [1, 'x'], b: { c: null } };
    expect(r.value(clean)).toBe(clean);
    expect(r.value("{'token': 'abc'}")).toBe("{'token': '***'}");
  });
});
