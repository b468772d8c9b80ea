/**
 * PostgreSQL for the store's tests: TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * is only used to create and drop databases of the tests' own (`clearly_test_<pid>_<random>`), so a
 * test never touches a database it did not create. Unreachable is an error (never a skip): start
 * PostgreSQL, or run .ci/run, which installs and starts it.
 */
import pg from 'pg';

export const POSTGRES_ADMIN = process.env['TEST_POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_ADMIN.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message}. ` +
        'The store tests need it (start it, set TEST_POSTGRES_URL, or run .ci/run which installs and starts it).',
      { cause: e },
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(tag: string): Promise<TestDatabase> {
  // TEST_POSTGRES_PREFIX keeps parallel runs' databases apart (e.g. `t15_`).
  const name = `clearly_test_${process.env['TEST_POSTGRES_PREFIX'] ?? ''}${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.replace(/[^a-z0-9_]/g, '_');
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const u = new URL(POSTGRES_ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
