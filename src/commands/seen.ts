/** `clearly seen`: every task name a clearly server has seen, sorted, one per line. */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { LineWriter, note } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { EXIT } from '../errors.js';

const options = {
  ...serverOption,
  ...outputOptions,
} as const;

type SeenArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 seen', 'one task name per line')
    .example("$0 seen --json | jq -r .name | grep '^email'", 'as JSON lines {"name": ...}');
}

export async function fromServer(server: ServerTarget | string): Promise<string[]> {
  return withServer(server, (conn) => conn.seenTasks());
}

export async function handler(argv: SeenArgs): Promise<number> {
  const names = await fromServer(serverTarget(argv.server, argv));
  const writer = new LineWriter(process.stdout, () => {});
  for (const name of names) writer.line(argv.json ? JSON.stringify({ name }) : name);
  await writer.end();
  if (names.length === 0 && !argv.json) note('the server has seen no task yet');
  return EXIT.OK;
}
