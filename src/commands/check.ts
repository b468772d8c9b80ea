/**
 * `clearly check`: a health check for cron, CI and monitoring agents (Nagios, Icinga, Sensu...).
 * One status line on stdout (or one JSON object with --json) and the Nagios exit codes: 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN. UNKNOWN also covers what other commands report with their own
 * codes (bad flags: 2 elsewhere, which a monitor would read as CRITICAL; server or broker
 * unreachable: 69 elsewhere), so every way this command ends is something a monitor understands.
 */
import type { Argv, ArgumentsCamelCase, InferredOptionTypes } from 'yargs';
import { measureFromBroker } from '../cli/check-broker.js';
import { measureFromServer } from '../cli/check-server.js';
import { DEFAULT_SERVER, serverTarget, type ServerTarget } from '../cli/client.js';
import { securityOptions } from '../cli/server-target.js';
import { LineWriter, note } from '../cli/output.js';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { STATUS_EXIT, unmeasured, type CheckResult, type Measurements } from '../engine/health/health.js';
import { evaluate } from '../engine/health/evaluate.js';
import { DEFAULT_WINDOW, needs, parseCheckFlags, parseDuration, type CheckPlan } from '../engine/health/thresholds.js';
import { ClearlyError, maskUrl, UsageError } from '../errors.js';
import { checkJson, type CheckContext } from '../format/check-json.js';
import { statusLine, unknownLine } from '../format/nagios.js';

const options = {
  server: {
    type: 'string',
    describe: `The clearly server to ask (HOST:PORT; default ${DEFAULT_SERVER}). With --broker too, the broker is read for queue depths only`,
  },
  ...securityOptions(),
  broker: {
    type: 'string',
    alias: 'b',
    describe: 'Measure straight from this broker (amqp://… or redis://…), no server: live workers, queues, silence, stuck tasks',
  },
  'min-workers': { type: 'string', describe: '[WARN:]CRIT live workers at least (3:2 = WARNING below 3, CRITICAL below 2)' },
  'workers-pattern': { type: 'string', describe: 'Count only workers whose hostname matches this regex (!re: that do not)' },
  'max-failure-rate': { type: 'string', describe: '[WARN:]CRIT percent of the tasks finished in --window that failed (5%:10%)' },
  'max-failures': { type: 'string', describe: '[WARN:]CRIT failed tasks in --window (10:50)' },
  window: { type: 'string', default: DEFAULT_WINDOW, describe: 'How far back --max-failure-rate/--max-failures look' },
  'max-queue': {
    type: 'string',
    array: true,
    describe: 'QUEUE=[WARN:]CRIT messages waiting (repeat or comma-separate per queue; needs --broker)',
  },
  'max-silence': { type: 'string', describe: '[WARN:]CRIT time without any event from the cluster (1m:5m)' },
  'max-stuck': {
    type: 'string',
    describe: '[WARN:]CRIT time a task may run, or be held with a pool slot free (10m:30m); prefetched tasks behind busy slots are queueing, not stuck',
  },
  'max-heartbeat-age': { type: 'string', describe: '[WARN:]CRIT time since a live worker was last heard from (30s:1m)' },
  'max-events-off': {
    type: 'string',
    describe: '[WARN:]CRIT workers that run tasks without sending task events (no -E): 0 alerts on the first',
  },
  'max-lost': {
    type: 'string',
    describe: '[WARN:]CRIT lost tasks: left RECEIVED/STARTED on a worker that went offline (0:5; needs a server)',
  },
  listen: {
    type: 'string',
    default: '5s',
    describe: 'With --broker: listen to events this long (silence, heartbeats; failures need it ≥ --window)',
  },
  timeout: { type: 'string', default: '1s', describe: "With --broker: how long to collect workers' replies (ping, active, reserved)" },
  json: { type: 'boolean', default: false, describe: 'Print one JSON object (every measured value, each verdict) instead of the status line' },
  debug: { type: 'boolean', default: false, describe: 'Explain errors in detail on stderr' },
} as const;

type CheckArgs = ArgumentsCamelCase<InferredOptionTypes<typeof options>>;


const HELP = `Thresholds take [WARN:]CRIT: one value is the critical level alone; two are the
warning level, then the critical one. Durations: 30s, 2m, 1h30m, 500ms (bare number: seconds).
Rates: 5% (or 5). Output: "CLEARLY <STATUS> - <findings> | <perfdata>" (Nagios guidelines).

Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a threshold that could not be measured,
bad flags, server or broker unreachable). The worst wins: CRITICAL, WARNING, UNKNOWN, OK.

Stuck means running too long, or held by a worker with a free pool slot that does not start
it; a task waiting in a worker's prefetch buffer behind busy slots, or for its ETA, is queueing.

With --broker nothing looks back in time: failures need --listen at least --window (else
UNKNOWN); --max-silence listens until the first event or its critical level; a task held with a
free slot is named but not dated (workers do not say since when). A clearly server answers all
of them at once.`;

/** A usage error in `check` exits 3 (UNKNOWN) as Nagios plugins do, not 2 (CRITICAL for a monitor). */
class CheckUsageError extends UsageError {
  override get exitCode(): number {
    return STATUS_EXIT.UNKNOWN;
  }
}

/** Whether the command line asked for --json, read from the raw words: a usage error comes before yargs' argv. */
export function asksJson(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  let json = env['CLEARLY_JSON'] === 'true' || env['CLEARLY_JSON'] === '1';
  for (const a of args) {
    if (a === '--') break;
    if (a === '--json' || a === '--json=true') json = true;
    if (a === '--no-json' || a === '--json=false') json = false;
  }
  return json;
}

export function builder(y: Argv): Argv<InferredOptionTypes<typeof options>> {
  return y
    .options(options)
    .fail((msg, err) => {
      // Errors from the handler reach here too: they are not usage errors, pass them on.
      if (msg === null || msg === undefined) throw err;
      process.stdout.write(`${asksJson(process.argv.slice(2), process.env) ? JSON.stringify({ status: 'UNKNOWN', exit_code: STATUS_EXIT.UNKNOWN, error: msg }) : unknownLine(msg)}\n`);
      throw new CheckUsageError(msg);
    })
    .example('$0 check --min-workers 2 --max-failure-rate 5%:10% --window 10m', 'against the clearly server')
    .example('$0 check --broker redis://localhost:6379/0 --min-workers 2 --max-queue celery=1000:5000', 'no server needed')
    .example("$0 check --min-workers 1 --workers-pattern '^email@'", 'at least one email worker')
    .example('$0 check --max-silence 1m:5m --max-stuck 30m --json | jq .measured', 'every value, as JSON')
    .example('$0 check --max-lost 0', 'CRITICAL as soon as a worker dies with a task on it')
    .epilogue(HELP);
}

interface Plan {
  readonly plan: CheckPlan;
  readonly mode: 'server' | 'broker';
  readonly server: string;
  readonly target: ServerTarget;
  readonly broker: string | undefined;
  readonly listenSeconds: number;
  readonly timeoutMs: number;
}

/** Every flag checked before anything is measured; throws UsageError. */
export function planCheck(argv: CheckArgs): Plan {
  const plan = parseCheckFlags(argv);
  const broker = argv.broker === undefined || argv.broker === '' ? undefined : argv.broker;
  if (broker !== undefined) parseBrokerUrl(broker, '--broker / CLEARLY_BROKER');
  // --broker alone reads the broker for everything; with --server it only adds queue depths.
  const mode = broker !== undefined && argv.server === undefined ? 'broker' : 'server';
  const target = serverTarget(argv.server ?? DEFAULT_SERVER, argv);
  return {
    plan,
    mode,
    server: target.address,
    target,
    broker,
    listenSeconds: parseDuration(argv.listen, '--listen'),
    timeoutMs: parseDuration(argv.timeout, '--timeout') * 1000,
  };
}

/** Fill what a source could not measure because it was unreachable (only what the plan asks). */
function withUnreachable(plan: CheckPlan, m: Measurements, reason: string | null): Measurements {
  if (reason === null) return m;
  const u = unmeasured(reason);
  const asked = (...kinds: Parameters<typeof needs>[1][]): typeof u | undefined => (kinds.some((k) => needs(plan, k)) ? u : undefined);
  const queues = new Map(m.queues ?? []);
  for (const t of plan.thresholds) if (t.kind === 'max-queue' && !queues.has(t.queue)) queues.set(t.queue, u);
  const out: { -readonly [K in keyof Measurements]: Measurements[K] } = {};
  const workers = m.workers ?? asked('min-workers');
  const failures = m.failures ?? asked('max-failure-rate', 'max-failures');
  const silence = m.silence ?? asked('max-silence');
  const stuck = m.stuck ?? asked('max-stuck');
  const heartbeat = m.heartbeat ?? asked('max-heartbeat-age');
  const lost = m.lost ?? asked('max-lost');
  if (lost) out.lost = lost;
  const eventsOff = m.eventsOff ?? asked('max-events-off');
  if (eventsOff) out.eventsOff = eventsOff;
  if (workers) out.workers = workers;
  if (failures) out.failures = failures;
  if (silence) out.silence = silence;
  if (stuck) out.stuck = stuck;
  if (heartbeat) out.heartbeat = heartbeat;
  if (queues.size > 0) out.queues = queues;
  return out;
}

async function measure(p: Plan, debug: boolean): Promise<{ measurements: Measurements; ctx: Omit<CheckContext, 'checkedAt'> }> {
  if (p.mode === 'broker') {
    const broker = p.broker!;
    const r = await measureFromBroker(p.plan, { broker, timeoutMs: p.timeoutMs, listenSeconds: p.listenSeconds, debug });
    const ctx = { source: 'broker' as const, server: null, broker: maskUrl(broker), listenedSeconds: r.listenedSeconds };
    return { measurements: withUnreachable(p.plan, r.measurements, r.unreachable), ctx };
  }
  const r = await measureFromServer(p.plan, { server: p.target, broker: p.broker });
  const ctx = { source: 'server' as const, server: p.server, broker: p.broker === undefined ? null : maskUrl(p.broker), listenedSeconds: null };
  return { measurements: withUnreachable(p.plan, r.measurements, r.unreachable), ctx };
}

export async function handler(argv: CheckArgs): Promise<number> {
  const writer = new LineWriter(process.stdout, () => {});
  const print = async (line: string): Promise<void> => {
    writer.line(line);
    await writer.end();
  };
  const unknown = async (message: string): Promise<number> => {
    note(message);
    await print(argv.json ? JSON.stringify({ status: 'UNKNOWN', exit_code: STATUS_EXIT.UNKNOWN, error: message }) : unknownLine(message));
    return STATUS_EXIT.UNKNOWN;
  };
  let p: Plan;
  try {
    p = planCheck(argv);
  } catch (e) {
    if (e instanceof ClearlyError) return unknown(e.message);
    throw e;
  }
  let result: CheckResult;
  let json: string;
  try {
    const { measurements, ctx } = await measure(p, argv.debug);
    result = evaluate(p.plan, measurements);
    json = JSON.stringify(checkJson(result, p.plan, measurements, { ...ctx, checkedAt: Date.now() / 1000 }));
  } catch (e) {
    // Whatever went wrong, a monitor must read UNKNOWN, not an exit code it does not know.
    if (argv.debug && e instanceof Error && !(e instanceof ClearlyError)) note(String(e.stack));
    return unknown(e instanceof ClearlyError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`);
  }
  await print(argv.json ? json : statusLine(result));
  return result.exitCode;
}
