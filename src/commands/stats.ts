/** `clearly stats`: a clearly server's counters (throughput, memory, clients, connections). */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, withServer } from '../cli/client.js';
import { LineWriter } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { EXIT } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import { renderStats, statsRecord, type StatsRecord } from '../format/stats-text.js';

const options = {
  ...serverOption,
  ...outputOptions,
} as const;

type StatsArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;

export const command = 'stats';
export const describe = "Show a clearly server's counters: events, tasks, workers, evictions, clients";

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .example('$0 stats', 'key/value lines')
    .example('$0 stats --json | jq .events_per_second', 'one JSON object (field names as in the proto)');
}

export async function fromServer(server: string): Promise<StatsRecord> {
  return statsRecord(await withServer(server, (conn) => conn.stats()));
}

export async function handler(argv: StatsArgs): Promise<number> {
  const stats = await fromServer(argv.server);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) writer.line(JSON.stringify(stats));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    for (const line of renderStats(stats, palette)) writer.line(line);
  }
  await writer.end();
  return EXIT.OK;
}
