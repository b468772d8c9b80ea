/** `clearly reset`: make a clearly server forget every stored task and worker. */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { LineWriter } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { EXIT } from '../errors.js';

const options = {
  ...serverOption,
  ...outputOptions,
} as const;

type ResetArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 reset', 'prints how many tasks and workers were forgotten')
    .example('$0 reset --json', '{"tasks": N, "workers": M}')
    .example('CLEARLY_TOKEN=<admin token> $0 reset --server grpcs://clearly.internal:12223 --tls-ca ca.pem', "a team's server: needs an admin token");
}

export interface ResetCounts {
  tasks: number;
  workers: number;
}

export async function fromServer(server: ServerTarget | string): Promise<ResetCounts> {
  const reply = await withServer(server, (conn) => conn.reset());
  return { tasks: reply.tasks ?? 0, workers: reply.workers ?? 0 };
}

export async function handler(argv: ResetArgs): Promise<number> {
  const counts = await fromServer(serverTarget(argv.server, argv));
  const writer = new LineWriter(process.stdout, () => {});
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  writer.line(
    argv.json ? JSON.stringify(counts) : `forgot ${plural(counts.tasks, 'task')} and ${plural(counts.workers, 'worker')}`,
  );
  await writer.end();
  return EXIT.OK;
}
