/**
 * `clearly reset`: make a clearly server forget every stored task and worker. On a terminal it
 * asks first, saying how many (`--yes` skips the question); without a terminal (scripts, cron,
 * pipes) it never asks.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerConnection, type ServerTarget } from '../cli/client.js';
import { canAsk, confirm } from '../cli/confirm.js';
import { LineWriter, note } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { EXIT } from '../errors.js';
import { statsRecord } from '../format/stats-text.js';

const options = {
  ...serverOption,
  yes: { type: 'boolean', alias: 'y', default: false, describe: 'Do not ask first (on a terminal reset asks; elsewhere it never does)' },
  ...outputOptions,
} as const;

type ResetArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 reset', 'on a terminal: says how many tasks and workers it would forget, asks, then prints what was forgotten')
    .example('$0 reset --yes', 'no question')
    .example('$0 reset --json', '{"tasks": N, "workers": M}')
    .example('CLEARLY_TOKEN=<admin token> $0 reset --yes --server grpcs://clearly.internal:12223 --tls-ca ca.pem', "a team's server: needs an admin token");
}

export interface ResetCounts {
  tasks: number;
  workers: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

async function reset(conn: ServerConnection): Promise<ResetCounts> {
  const reply = await conn.reset();
  return { tasks: reply.tasks ?? 0, workers: reply.workers ?? 0 };
}

export async function fromServer(server: ServerTarget | string): Promise<ResetCounts> {
  return withServer(server, reset);
}

/** The question, with what the server holds now (its history in the store included). */
async function question(conn: ServerConnection): Promise<string> {
  const s = statsRecord(await conn.stats());
  const tasks = Math.max(s.tasks_stored, s.store_tasks);
  const history = s.store === 'memory' ? '' : ' (its stored history included)';
  return `forget the ${plural(tasks, 'task')} and ${plural(s.workers_stored, 'worker')} the clearly server at ${conn.address} holds${history}?`;
}

export async function handler(argv: ResetArgs): Promise<number> {
  const ask = !argv.yes && canAsk();
  const counts = await withServer(serverTarget(argv.server, argv), async (conn) => {
    if (ask && !(await confirm(await question(conn)))) return null;
    return reset(conn);
  });
  if (counts === null) {
    note('reset cancelled: nothing forgotten (--yes skips the question)');
    return EXIT.FAILURE;
  }
  const writer = new LineWriter(process.stdout, () => {});
  writer.line(
    argv.json ? JSON.stringify(counts) : `forgot ${plural(counts.tasks, 'task')} and ${plural(counts.workers, 'worker')}`,
  );
  await writer.end();
  return EXIT.OK;
}
