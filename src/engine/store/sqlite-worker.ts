/**
 * The SQLite store's thread: runs sqlite-db.ts's synchronous calls one at a time, off the event
 * loop that ingests events. Messages in: `{ id, op, args }` (op a SqliteDb method, or `open`);
 * out: `{ id, ok: true, value }` or `{ id, ok: false, error: { code, message } }`. Started by
 * sqlite.ts; bundled on its own for the CLI (scripts/bundle.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { ClearlyError } from '../../errors.js';
import { SqliteDb } from './sqlite-db.js';

interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: unknown[];
}

let db: SqliteDb | undefined;

async function run(op: string, args: unknown[]): Promise<unknown> {
  if (op === 'open') {
    db = new SqliteDb(args[0] as string);
    return db.lastSeq();
  }
  if (db === undefined) throw new Error('store not open');
  const fn = (db as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
  if (typeof fn !== 'function') throw new Error(`unknown store call ${op}`);
  const value = await fn.apply(db, args);
  if (op === 'close') db = undefined;
  return value;
}

parentPort?.on('message', (req: Request) => {
  run(req.op, req.args).then(
    (value) => parentPort?.postMessage({ id: req.id, ok: true, value }),
    (e: unknown) => {
      const code = e instanceof ClearlyError ? e.code : 'INTERNAL';
      parentPort?.postMessage({ id: req.id, ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } });
    },
  );
});
