/**
 * `clearly export`: every stored task that matches, as the `--json` records `tasks` prints, one per
 * line: from a running server (the default, as for `tasks`) or straight from a store (`--store`,
 * no server needed). Oldest first, so that `import` gives them back in the same order. Nothing is
 * dropped for a slow reader: the export waits for it (cli/output.ts PacedLines).
 */
import { existsSync } from 'node:fs';
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { filterOptions, redactOption, redactorFor, wholeNumber } from '../cli/options.js';
import type { Redactor } from '../engine/redact/redact.js';
import { redactRow } from '../engine/store/redact-row.js';
import { note, PacedLines } from '../cli/output.js';
import { compileTaskQuery } from '../engine/grpc/queries.js';
import { storeQuery } from '../engine/server/history.js';
import { openStore } from '../engine/store/open.js';
import { scanRows } from '../engine/store/query.js';
import { parseStoreUrl } from '../engine/store/url.js';
import { EXIT, NotFoundError, UsageError } from '../errors.js';
import { recordJsonBytes } from '../format/record-json.js';
import { taskRecordFromMessage, taskRecordFromRow } from '../format/message-records.js';
import type { TaskRecord } from '../format/record.js';
import { taskQuery } from './tasks.js';

const options = {
  ...serverOption,
  store: {
    type: 'string',
    describe: 'Read this store instead of asking a server: its file, sqlite:PATH or postgres://… (env CLEARLY_STORE)',
  },
  ...filterOptions,
  since: { type: 'string', describe: 'Only tasks whose last event is this recent: 1h, 2d, or a time (2026-12-03T09:00)' },
  until: { type: 'string', describe: 'Only tasks whose last event is older: 1h (up to an hour ago), or a time' },
  search: { type: 'string', describe: 'Only tasks whose name, args, kwargs, result or exception hold all these words' },
  retried: { type: 'boolean', default: false, describe: 'Only tasks that ever retried, whatever their state now' },
  limit: { alias: 'l', ...wholeNumber('--limit', 0, undefined, ' (0 = all)'), default: 0, describe: 'At most this many tasks (0 = all)' },
  'newest-first': { type: 'boolean', default: false, describe: 'Newest first (default: oldest first, the order import keeps)' },
  ...redactOption,
} as const;

type ExportArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 export > tasks.ndjson', 'everything the server at 127.0.0.1:12223 has stored')
    .example('cd ~/.local/state/clearly && $0 export --store redis-127.0.0.1-6379-0.sqlite > ~/backup.ndjson', 'straight from a server\'s store file, no server running')
    .example('$0 export --state FAILURE --since 7d | jq -r .uuid', "the last week's failures")
    .example('$0 export --store sqlite:old.sqlite | $0 import --store postgres://clearly@db/clearly -', 'move a history to PostgreSQL');
}

export async function handler(argv: ExportArgs): Promise<number> {
  // The same checks (and messages) as `tasks`, before anything is opened.
  const query = taskQuery({ ...argv, oldestFirst: !argv.newestFirst });
  const out = new PacedLines(process.stdout);
  const emit = (r: TaskRecord): void => out.line(recordJsonBytesAsText(r));
  let count: number;
  // --redact applies where rows are read: straight from a store here; a server redacts with its own.
  if (argv.store !== undefined && argv.store !== '') count = await fromStore(argv.store, query, out, emit, redactorFor(argv.redact));
  else count = await fromServer(serverTarget(argv.server, argv), query, out, emit);
  await out.end();
  if (!out.isClosed) note(`exported ${count} task${count === 1 ? '' : 's'}`);
  return EXIT.OK;
}

/** recordJsonBytes gives UTF-8 bytes as a Latin-1 string (for LineWriter); stdout here takes text. */
function recordJsonBytesAsText(r: TaskRecord): string {
  return Buffer.from(recordJsonBytes(r), 'latin1').toString('utf8');
}

async function fromServer(server: ServerTarget | string, query: ReturnType<typeof taskQuery>, out: PacedLines, emit: (r: TaskRecord) => void): Promise<number> {
  let count = 0;
  await withServer(server, async (conn) => {
    const reading = conn.filterTasks(query, {
      onItem: (m) => {
        if (out.isClosed) return reading.cancel();
        emit(taskRecordFromMessage(m));
        count++;
        // Hold the stream (gRPC flow control holds the server) until stdout has caught up.
        if (out.behind) {
          reading.pause();
          void out.ready().then(() => reading.resume());
        }
      },
    });
    await reading.done;
  });
  return count;
}

async function fromStore(
  input: string,
  query: ReturnType<typeof taskQuery>,
  out: PacedLines,
  emit: (r: TaskRecord) => void,
  redactor: Redactor | null,
): Promise<number> {
  const url = parseStoreUrl(input, null);
  if (url.kind === 'memory') throw new UsageError('--store memory: a memory store ends with its server; export from the server (--server) instead');
  // Reading must never create: a mistyped path would otherwise leave an empty store behind.
  if (url.kind === 'sqlite' && !existsSync(url.path)) {
    throw new NotFoundError(`no store at ${url.path} (--store): \`clearly server\` names its store's file as it starts`);
  }
  const store = await openStore(url);
  if (store === null) return 0;
  let count = 0;
  try {
    const q = storeQuery(compileTaskQuery(query));
    for await (const row of scanRows(q, (after, rows) => store.queryPage(q, after, rows))) {
      if (out.isClosed) break;
      emit(taskRecordFromRow(redactRow(row, redactor)));
      count++;
      await out.ready();
    }
  } finally {
    await store.close();
  }
  return count;
}
