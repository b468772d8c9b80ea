/**
 * The subcommands, in the order `--help` lists them: live first (the demo of it next), then the one-shot questions to a
 * server (history, one task, workers, counters), the health check, the task names, then the one
 * that changes it, then the server itself.
 *
 * Only the command being run is loaded: each module pulls in its own clients (gRPC, amqplib,
 * ioredis), and loading all of them would cost every invocation a few hundred milliseconds.
 */
import type { Argv } from 'yargs';

export interface CommandModule {
  builder: (y: Argv) => Argv<unknown>;
  /** Returns the exit code; throws ClearlyError for the ones bin/clearly.ts maps. */
  handler: (argv: never) => Promise<number>;
}

export interface CommandEntry {
  readonly name: string;
  /** yargs usage, e.g. `task <uuid>`. */
  readonly command: string;
  readonly describe: string;
  readonly load: () => Promise<CommandModule>;
}

const entry = (name: string, command: string, describe: string, load: () => Promise<unknown>): CommandEntry => ({
  name,
  command,
  describe,
  load: load as () => Promise<CommandModule>,
});

export const COMMANDS: readonly CommandEntry[] = [
  entry('watch', 'watch', 'Show task and worker state changes live', () => import('./watch.js')),
  entry('demo', 'demo', 'Watch a simulated Celery cluster in this process: no broker needed', () => import('./demo.js')),
  entry('tasks', 'tasks', 'List the tasks a clearly server has stored (history)', () => import('./tasks.js')),
  entry(
    'task',
    'task <uuid>',
    'Show one task: arguments, result (untruncated when the backend has it), traceback, times',
    () => import('./task.js'),
  ),
  entry(
    'workers',
    'workers',
    'List the workers a clearly server knows: alive or offline, load, tasks done',
    () => import('./workers.js'),
  ),
  entry('stats', 'stats', "Show a clearly server's counters: events, tasks, workers, evictions, clients", () => import('./stats.js')),
  entry('failures', 'failures', 'Group failed tasks by cause (exception, message, frame), biggest first', () => import('./failures.js')),
  entry(
    'check',
    'check',
    'Health check with Nagios exit codes: workers, failure rate, queues, silence, stuck tasks',
    () => import('./check.js'),
  ),
  entry(
    'diagnose',
    'diagnose [queue..]',
    'Why is nothing moving? Queues, consumers, busy workers, events on or off, with the fix (exit codes as check)',
    () => import('./diagnose.js'),
  ),
  entry(
    'enable-events',
    'enable-events',
    'Switch task events on in running workers (Celery enable_events), once; says which ones it switched',
    () => import('./enable-events.js'),
  ),
  entry('seen', 'seen', 'List the task names a clearly server has seen', () => import('./seen.js')),
  entry('export', 'export', 'Print every stored task as NDJSON, from a server or straight from a store', () => import('./export.js')),
  entry('import', 'import [file]', 'Load NDJSON task records (export, tasks --json, watch --json) into a store', () => import('./import.js')),
  entry('reset', 'reset', 'Make a clearly server forget its stored tasks and workers', () => import('./reset.js')),
  entry('server', 'server', 'Run the collector: keep tasks and workers in memory and serve them over gRPC', () => import('./server.js')),
];

/** The command named on the command line (its first word that is not a flag), if any. */
export function requestedCommand(args: readonly string[]): CommandEntry | undefined {
  const first = args.find((a) => !a.startsWith('-'));
  return COMMANDS.find((c) => c.name === first);
}
