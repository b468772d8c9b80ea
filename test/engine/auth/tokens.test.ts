import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { REQUIRED_ROLE, roleAllows } from '../../../src/engine/auth/roles.js';
import { readClientToken, readTokenFile } from '../../../src/engine/auth/token-file.js';
import { parseTokens, TokenTable } from '../../../src/engine/auth/tokens.js';
import { judge } from '../../../src/engine/grpc/guard.js';
import { UsageError } from '../../../src/errors.js';

const ADMIN = 'a'.repeat(20);
const READ = 'r'.repeat(20);
const FILE = `# the team's tokens\n\nadmin ops-team ${ADMIN}\n  read   dev-team\t${READ}  \n`;

describe('parseTokens', () => {
  it('reads ROLE NAME TOKEN lines, skipping blank lines and comments', () => {
    const p = parseTokens(FILE);
    expect(p.ok).toBe(true);
    const t = new TokenTable(p.ok ? p.entries : []);
    expect(t.size).toBe(2);
    expect(t.lookup(ADMIN)).toEqual({ role: 'admin', name: 'ops-team' });
    expect(t.lookup(READ)).toEqual({ role: 'read', name: 'dev-team' });
    expect(t.lookup('x'.repeat(20))).toBeNull();
    expect(t.lookup('')).toBeNull();
  });

  it.each([
    [`admin ops ${ADMIN}\nread dev\n`, 2, /\(3 fields\), got 2/],
    [`owner ops ${ADMIN}`, 1, /role must be read or admin, got "owner"/],
    [`read dev short`, 1, /shorter than 16/],
    [`read dev ${READ}\nadmin dev ${ADMIN}`, 2, /name dev is used twice/],
    [`read dev ${READ}\nadmin ops ${READ}`, 2, /also another name's token/],
    [`admin ops ${ADMIN} extra`, 1, /\), got 4/],
  ])('refuses a malformed line, naming it: %j', (text, line, why) => {
    const p = parseTokens(text);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.line).toBe(line);
      expect(p.why).toMatch(why);
    }
  });

  it('never quotes a token in its reasons, even on a line with its fields out of order', () => {
    const token = '3f9c0a1b2c3d4e5f60718293a4b5c6d7';
    for (const text of [`${token} ops-team admin`, `admin ${token} ops`, `read ${token} x`]) {
      const p = parseTokens(text);
      expect(p.ok, text).toBe(false);
      if (!p.ok) {
        expect(p.why).not.toContain(token);
        expect(p.why).toMatch(/a field of 32 characters \(not shown: it could be a token\)/);
      }
    }
    // Names, however long, are quoted.
    const named = parseTokens('read platform-team-prod short');
    expect(named.ok ? '' : named.why).toMatch(/the token of "platform-team-prod" is shorter/);
  });

  it('refuses a file without tokens', () => {
    expect(parseTokens('# nothing\n\n')).toEqual({ ok: false, line: 0, why: expect.stringMatching(/no tokens/) });
  });

  it('a reload swaps the whole table', () => {
    const p = parseTokens(FILE);
    const t = new TokenTable(p.ok ? p.entries : []);
    const q = parseTokens(`read new ${'n'.repeat(20)}`);
    t.replace(q.ok ? q.entries : []);
    expect(t.lookup(ADMIN)).toBeNull();
    expect(t.lookup('n'.repeat(20))).toEqual({ role: 'read', name: 'new' });
  });
});

describe('token files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clearly-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode: number): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };

  it('reads a private file, and refuses one others can read, naming the fix', () => {
    expect(readTokenFile(file('ok', FILE, 0o600))).toHaveLength(2);
    const open = file('open', FILE, 0o644);
    expect(() => readTokenFile(open)).toThrow(UsageError);
    expect(() => readTokenFile(open)).toThrow(`--token-file ${open}: open to its group and others (mode 644); tokens must be private: chmod 600 ${open}`);
    expect(() => readTokenFile(file('group', FILE, 0o640))).toThrow(/open to its group \(mode 640\)/);
  });

  it('names the malformed line, and a file that is not there', () => {
    const bad = file('bad', `admin ops ${ADMIN}\nread dev\n`, 0o600);
    expect(() => readTokenFile(bad)).toThrow(`--token-file ${bad} line 2: expected ROLE NAME TOKEN (3 fields), got 2`);
    expect(() => readTokenFile(join(dir, 'missing'))).toThrow(/cannot read it \(ENOENT\)/);
  });

  it("a client's file: its first token (or a server line's last field)", () => {
    expect(readClientToken(file('c1', `# mine\n${READ}\n`, 0o600))).toBe(READ);
    expect(readClientToken(file('c2', `read dev ${READ}\n`, 0o400))).toBe(READ);
    expect(() => readClientToken(file('c3', READ, 0o604))).toThrow(/open to others \(mode 604\)/);
    expect(() => readClientToken(file('c4', '\n# none\n', 0o600))).toThrow(/no token in it/);
  });
});

describe('roles and the gate', () => {
  const p = parseTokens(FILE);
  const table = new TokenTable(p.ok ? p.entries : []);
  const md = (value?: string): grpc.Metadata => {
    const m = new grpc.Metadata();
    if (value !== undefined) m.set('authorization', value);
    return m;
  };

  it('read may read, only admin may reset', () => {
    expect(REQUIRED_ROLE.Reset).toBe('admin');
    for (const m of ['Capture', 'FilterTasks', 'GetTask', 'FilterWorkers', 'SeenTasks', 'GetStats'] as const) expect(REQUIRED_ROLE[m]).toBe('read');
    expect(roleAllows('read', 'admin')).toBe(false);
    expect(roleAllows('admin', 'admin')).toBe(true);
    expect(roleAllows('read', 'read')).toBe(true);
  });

  it('no token, an unknown one, a malformed header: UNAUTHENTICATED', () => {
    for (const m of [md(), md(`Bearer ${'z'.repeat(20)}`), md(ADMIN), md('Basic abc')]) {
      const v = judge(table, m, 'GetStats');
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.code).toBe(grpc.status.UNAUTHENTICATED);
    }
  });

  it('a read token on Reset: PERMISSION_DENIED naming the token, never showing it', () => {
    const v = judge(table, md(`Bearer ${READ}`), 'Reset');
    expect(v).toMatchObject({ ok: false, code: grpc.status.PERMISSION_DENIED, who: 'dev-team' });
    if (!v.ok) expect(v.details).not.toContain(READ);
    expect(judge(table, md(`bearer ${ADMIN}`), 'Reset')).toEqual({ ok: true, who: { role: 'admin', name: 'ops-team' } });
    expect(judge(table, md(`Bearer ${READ}`), 'Capture')).toEqual({ ok: true, who: { role: 'read', name: 'dev-team' } });
  });

  it('without tokens every call goes through', () => {
    expect(judge(null, md(), 'Reset')).toEqual({ ok: true, who: null });
  });
});
