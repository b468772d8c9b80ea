/**
 * `clearly import --store URL FILE|-`: task records as NDJSON (what `export`, `tasks --json` and
 * `watch --json` print) into a store, through the same upsert and state rule the server writes
 * with: a task already stored ends where the rule says, never moved back by an older record. So a
 * user moves a history from SQLite to PostgreSQL, restores a backup, or seeds a test store.
 * Read a line at a time (the `ndjson` package) and written in batches: memory stays bounded
 * whatever the file's size.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import ndjson from 'ndjson';
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { note } from '../cli/output.js';
import { redactOption, redactorFor } from '../cli/options.js';
import type { Redactor } from '../engine/redact/redact.js';
import { rowFromRecord } from '../engine/store/import-record.js';
import { redactRow } from '../engine/store/redact-row.js';
import { openStore } from '../engine/store/open.js';
import type { TaskRow } from '../engine/store/rows.js';
import type { Store } from '../engine/store/store.js';
import { describeStore, parseStoreUrl } from '../engine/store/url.js';
import { ClearlyError, EXIT, NotFoundError, UsageError } from '../errors.js';

/** Rows per write: one transaction each. */
const BATCH = 1000;
/** A line longer than this is not a record clearly wrote (results are cut at 1 KB, backend ones kept whole). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

const options = {
  store: {
    type: 'string',
    describe: 'The store to write: a file (created if missing), sqlite:PATH or postgres://… (env CLEARLY_STORE)',
  },
  broker: {
    type: 'string',
    describe: 'Recorded as where a task was heard when its record names no broker (default: import:<file name>)',
  },
  ...redactOption,
} as const;

type ImportArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>> & { file?: string };

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .positional('file', { type: 'string', describe: 'NDJSON task records; - for stdin' })
    .options(options)
    .example('$0 import --store postgres://clearly@db/clearly tasks.ndjson', 'load an export into a team database')
    .example('$0 export --store old.sqlite | $0 import --store new.sqlite -', 'copy one store into another')
    .example('$0 watch -b redis://localhost:6379/0 --json --timeout 1m | $0 import --store seed.sqlite -', 'seed a test store from live traffic') as never;
}

/** What the import did, for its closing line. */
interface Tally {
  /** Task records read. */
  records: number;
  /** Task rows written (a task with several records in one batch is one row). */
  imported: number;
  skipped: number;
  firstSkip: string | null;
  /** Lines that are not JSON at all. */
  notJson: number;
  firstNotJson: string | null;
}

export async function handler(argv: ImportArgs): Promise<number> {
  // yargs hands a lone `-` over as an empty string.
  const file = argv.file === '' ? '-' : argv.file;
  if (file === undefined) throw new UsageError('import needs a FILE of NDJSON task records, or - for stdin');
  const redactor = redactorFor(argv.redact);
  const url = parseStoreUrl(argv.store, null);
  if (url.kind === 'memory') throw new UsageError('--store memory keeps nothing: name a store file, sqlite:PATH or postgres://…');
  const input = await openInput(file);
  const store = await openStore(url);
  if (store === null) return EXIT.OK;
  const origin = argv.broker !== undefined && argv.broker !== '' ? argv.broker : `import:${file === '-' ? 'stdin' : basename(file)}`;
  const tally: Tally = { records: 0, imported: 0, skipped: 0, firstSkip: null, notJson: 0, firstNotJson: null };
  try {
    await load(input, store, origin, tally, redactor);
  } finally {
    await store.close();
  }
  const rows = tally.imported === tally.records ? '' : ` (${tally.imported} rows: a task with several records is kept once)`;
  const skipped = tally.skipped === 0 ? '' : `; skipped ${tally.skipped} record${tally.skipped === 1 ? '' : 's'} (the first: ${tally.firstSkip})`;
  note(`imported ${tally.records} task record${tally.records === 1 ? '' : 's'} into ${describeStore(url)}${rows}${skipped}`);
  if (tally.notJson === 0) return EXIT.OK;
  // Everything readable is in; the exit code says the input was not all of it.
  throw new ClearlyError('DATA', `${file}: ${tally.notJson} line${tally.notJson === 1 ? ' is not JSON and was' : 's are not JSON and were'} skipped (the first: ${tally.firstNotJson})`);
}

async function openInput(file: string): Promise<Readable> {
  if (file === '-') return process.stdin;
  const stream = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new NotFoundError(`no such file: ${file}`) : new UsageError(`cannot read ${file}: ${e.message}`, { cause: e })),
    );
  });
  return stream;
}

/**
 * Feeds `input` through the ndjson parser by hand rather than with pipe(): a line that is not JSON
 * makes the parser emit 'error' and go on, and pipe() would stop the input there, losing the
 * records already parsed after it. So a bad line is counted (with its start) and skipped, and
 * the import goes on: nothing readable is left behind.
 */
function load(input: Readable, store: Store, origin: string, tally: Tally, redactor: Redactor | null): Promise<void> {
  const parser = ndjson.parse({ strict: true, maxLength: MAX_LINE_BYTES } as ndjson.ParseOptions);
  let batch = new Map<string, TaskRow>();
  const names = new Set<string>();
  const write = async (): Promise<void> => {
    if (batch.size === 0) return;
    const tasks = [...batch.values()];
    batch = new Map();
    const written = [...names];
    names.clear();
    await store.write({ tasks, workers: [], names: written, counters: {} });
    tally.imported += tasks.length;
  };
  const take = (value: unknown): void => {
    const r = rowFromRecord(value, origin);
    if (!r.ok) {
      tally.skipped++;
      tally.firstSkip ??= r.reason;
      return;
    }
    // Secrets out before the store keeps them, as the server does with events.
    const row = redactRow(r.row, redactor);
    tally.records++;
    // A `watch --json` capture holds a record per state change: in one batch, the later record
    // of a task wins unless it saw fewer of its states (a late, older one).
    const before = batch.get(row.uuid);
    if (before === undefined || row.events >= before.events) batch.set(row.uuid, row);
    if (row.name !== null) names.add(row.name);
  };
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      input.destroy();
      reject(e);
    };
    input.on('data', (chunk: Buffer) => {
      if (!parser.write(chunk)) input.pause();
    });
    parser.on('drain', () => input.resume());
    input.on('end', () => parser.end());
    input.on('error', (e) => fail(new UsageError(`cannot read the input: ${e.message}`, { cause: e })));
    parser.on('error', (e: Error) => {
      tally.notJson++;
      tally.firstNotJson ??= e.message.replace(/^Could not parse row /, '');
    });
    parser.on('data', (value: unknown) => {
      take(value);
      if (batch.size < BATCH) return;
      parser.pause();
      write().then(() => parser.resume(), fail);
    });
    parser.on('end', () => write().then(resolve, fail));
  });
}
