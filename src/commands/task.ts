/** `clearly task <uuid>`: one task with every detail, its result whole when the server has it. */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, withServer } from '../cli/client.js';
import { LineWriter } from '../cli/output.js';
import { outputOptions } from '../cli/options.js';
import { taskRecordFromMessage } from '../engine/wire.js';
import { EXIT, NotFoundError, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import type { TaskRecord } from '../format/record.js';
import { renderTaskDetail } from '../format/task-detail.js';

const options = {
  ...serverOption,
  ...outputOptions,
} as const;

type TaskArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options> & { uuid: string }>;

export const command = 'task <uuid>';
export const describe = 'Show one task: arguments, result (untruncated when the backend has it), traceback, times';

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .positional('uuid', { type: 'string', describe: 'The task id' })
    .options(options)
    .example('$0 task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60', 'everything the server knows about that task')
    .example('$0 task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60 --json | jq .result', 'just its result');
}

/** The task as the server stores it; NotFoundError (exit 4) when it has never seen it or forgot it. */
export async function fromServer(server: string, uuid: string): Promise<TaskRecord> {
  return withServer(server, async (conn) => {
    try {
      return taskRecordFromMessage(await conn.getTask(uuid));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      throw new NotFoundError(
        `no task ${uuid} on the clearly server at ${conn.address} (never seen, or evicted: see its --max-tasks)`,
        { cause: e },
      );
    }
  });
}

export async function handler(argv: TaskArgs): Promise<number> {
  const uuid = String(argv.uuid).trim();
  if (uuid === '') throw new UsageError('task: give the task id, e.g. clearly task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60');
  const record = await fromServer(argv.server, uuid);
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) writer.line(JSON.stringify(record));
  else writer.line(renderTaskDetail(record, makePalette(shouldColour(process.stdout, process.env, argv.color))));
  await writer.end();
  return EXIT.OK;
}
