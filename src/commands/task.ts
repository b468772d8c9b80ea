/**
 * `clearly task <uuid>`: one task with every detail, its result whole when the server has it.
 * `--wait` blocks until it finishes (from the server's live stream, or with `--broker` from the
 * events and, with `--backend`, the result backend): exit 0 on SUCCESS, 1 on FAILURE, REVOKED or
 * REJECTED, 124 when `--timeout` runs out first.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { serverOption, serverTarget, withServer, type ServerTarget } from '../cli/client.js';
import { LineWriter, note, terminalWidth } from '../cli/output.js';
import { finalState, waitExitCode, waitFromBroker, waitFromServer, type WaitOutcome } from '../cli/wait.js';
import { checkBackendUrl } from '../cli/wait-backend.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { compactDuration, formatSeconds } from '../engine/health/health.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { outputOptions, redactOption, redactorFor } from '../cli/options.js';
import { taskRecordFromMessage } from '../format/message-records.js';
import { EXIT, NotFoundError, TimeoutError, UsageError } from '../errors.js';
import { makePalette, shouldColour } from '../format/colors.js';
import type { TaskRecord } from '../format/record.js';
import { renderTaskDetail } from '../format/task-detail.js';

const options = {
  ...serverOption,
  wait: {
    type: 'boolean',
    default: false,
    describe: 'Block until the task finishes; exit 0 on SUCCESS, 1 on FAILURE/REVOKED/REJECTED',
  },
  timeout: { type: 'string', describe: 'With --wait: give up after this long (30s, 10m, 1h), exit 124' },
  broker: {
    type: 'string',
    alias: 'b',
    describe: "With --wait: follow the task's events straight on this broker instead of a server",
  },
  backend: {
    type: 'string',
    describe: 'With --wait --broker: also read the Redis result backend (finds a task that already finished, and its whole result)',
  },
  ...redactOption,
  ...outputOptions,
} as const;

type TaskArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options> & { uuid: string }>;


export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .positional('uuid', { type: 'string', describe: 'The task id' })
    .options(options)
    .example('$0 task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60', 'everything the server knows about that task')
    .example('$0 task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60 --json | jq .result', 'just its result')
    .example('id=$(python enqueue.py); $0 task "$id" --wait --timeout 10m && echo done', 'wait for it; exit 0 only on SUCCESS')
    .example('$0 task "$id" --wait -b redis://localhost:6379/0 --backend redis://localhost:6379/1', 'no server: events + result backend');
}

/** The task as the server stores it; NotFoundError (exit 4) when it has never seen it or forgot it. */
export async function fromServer(server: ServerTarget | string, uuid: string): Promise<TaskRecord> {
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

async function print(record: TaskRecord, argv: TaskArgs): Promise<void> {
  const writer = new LineWriter(process.stdout, () => {});
  if (argv.json) writer.line(JSON.stringify(record));
  else {
    const palette = makePalette(shouldColour(process.stdout, process.env, argv.color));
    writer.line(renderTaskDetail(record, palette, terminalWidth(process.stdout, process.env)));
  }
  await writer.end();
}

/** `--wait`'s flags, checked before anything connects; throws UsageError. */
export function waitPlan(argv: Pick<TaskArgs, 'wait' | 'timeout' | 'broker' | 'backend'>): { timeoutMs: number | undefined } {
  if (!argv.wait) {
    const stray = (['timeout', 'broker', 'backend'] as const).filter((k) => argv[k] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray.join(', --')} only apply with --wait`);
    return { timeoutMs: undefined };
  }
  if (argv.backend !== undefined && argv.broker === undefined) {
    throw new UsageError('--backend is read with --broker (a clearly server reads its own result backend)');
  }
  if (argv.broker !== undefined) parseBrokerUrl(argv.broker, '--broker / CLEARLY_BROKER');
  if (argv.backend !== undefined) checkBackendUrl(argv.backend);
  return { timeoutMs: argv.timeout === undefined ? undefined : parseDuration(argv.timeout, '--timeout') * 1000 };
}

async function waitFor(uuid: string, argv: TaskArgs, timeoutMs: number | undefined): Promise<number> {
  const started = Date.now();
  const outcome: WaitOutcome =
    argv.broker === undefined
      ? await waitFromServer(serverTarget(argv.server, argv), { uuid, timeoutMs })
      : await waitFromBroker({ uuid, timeoutMs, broker: argv.broker, backend: argv.backend, debug: argv.debug, redactor: redactorFor(argv.redact) });
  if (outcome.kind === 'timeout') {
    const last = outcome.last === null ? 'never seen' : `last seen ${finalState(outcome.last) ?? outcome.last.state}`;
    throw new TimeoutError(`task ${uuid} did not finish within ${compactDuration((timeoutMs ?? 0) / 1000)} (${last})`);
  }
  await print(outcome.record, argv);
  note(`task ${uuid} ${outcome.state} after waiting ${formatSeconds((Date.now() - started) / 1000)}`);
  return waitExitCode(outcome.state);
}

export async function handler(argv: TaskArgs): Promise<number> {
  const uuid = String(argv.uuid).trim();
  if (uuid === '') throw new UsageError('task: give the task id, e.g. clearly task 3f0c6a2e-6f4b-4c1e-9d1a-1b2c3d4e5f60');
  const { timeoutMs } = waitPlan(argv);
  if (argv.wait) return waitFor(uuid, argv, timeoutMs);
  await print(await fromServer(serverTarget(argv.server, argv), uuid), argv);
  return EXIT.OK;
}
