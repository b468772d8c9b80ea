/**
 * Celery event load generator: `node dist/bench/generator/cli.js --broker URL [...]` (see USAGE).
 *
 * With --processes P > 1 it forks itself P times (`--shard i`); each child connects, reports
 * 'ready', and all start together on 'go' so the measured seconds cover the same window. The parent
 * sums the children's counts into the one JSON summary line. SIGINT/SIGTERM stop every shard
 * gracefully (worker-offline is sent); a second one exits at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClearlyError, EXIT, UnavailableError, maskUrl } from '../../src/errors.js';
import { USAGE, parseOptions, planShard, type GeneratorOptions } from './options.js';
import { openAmqpPublisher } from './publish-amqp.js';
import type { Publisher } from './publisher.js';
import { openRedisPublisher } from './publish-redis.js';
import { runShard, type ShardResult } from './run.js';

type ToChild = { readonly type: 'go' } | { readonly type: 'stop' };
type FromChild =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: ShardResult }
  | { readonly type: 'error'; readonly message: string; readonly exitCode: number };

/** 5.2 publishes an empty `[]` task.multi now and then on AMQP only (PROTOCOL.md §4). */
const EMPTY_BATCH_RATE = { amqp: 0.04, redis: 0 } as const;

async function openPublisher(o: GeneratorOptions): Promise<Publisher> {
  try {
    return o.transport === 'amqp' ? await openAmqpPublisher(o.broker) : await openRedisPublisher(o.broker);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UnavailableError(`cannot connect to ${maskUrl(o.broker)}: ${why}`, { cause: err });
  }
}

function shardRun(o: GeneratorOptions, i: number, pub: Publisher, signal: AbortSignal): Promise<ShardResult> {
  const plan = planShard(o, i);
  return runShard(
    {
      workload: {
        seed: plan.seed,
        workers: plan.workers,
        host: o.host,
        clientPid: process.pid,
        failRate: o.failRate,
        retryRate: o.retryRate,
        emptyBatchRate: EMPTY_BATCH_RATE[o.transport],
        ...(plan.events === null ? {} : { maxEvents: plan.events }),
      },
      rate: plan.rate,
      duration: o.duration,
      signal,
    },
    pub,
  );
}

/** First signal: graceful stop. Second: leave now. */
function onStopSignals(stop: () => void): void {
  let seen = false;
  const handler = (): void => {
    if (seen) process.exit(EXIT.INTERRUPTED);
    seen = true;
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function runChild(o: GeneratorOptions, shard: number): Promise<void> {
  const send = (m: FromChild): Promise<void> =>
    new Promise((resolve) => {
      // The parent may be gone (killed): then there is nobody to tell.
      if (process.send === undefined || !process.connected) resolve();
      else process.send(m, undefined, {}, () => resolve());
    });
  const ac = new AbortController();
  onStopSignals(() => ac.abort());
  let go!: () => void;
  const started = new Promise<void>((resolve) => (go = resolve));
  process.on('message', (m: ToChild) => {
    if (m.type === 'stop') ac.abort();
    go(); // 'stop' before 'go' (another shard failed) must not leave us waiting
  });
  try {
    const pub = await openPublisher(o);
    await send({ type: 'ready' });
    await started;
    if (ac.signal.aborted) {
      await pub.close();
      await send({ type: 'result', result: { published: 0, messages: 0, tasks: 0, seconds: 0 } });
    } else {
      await send({ type: 'result', result: await shardRun(o, shard, pub, ac.signal) });
    }
  } catch (err) {
    const exitCode = err instanceof ClearlyError ? err.exitCode : EXIT.INTERNAL;
    await send({ type: 'error', message: err instanceof Error ? err.message : String(err), exitCode });
  }
  if (process.connected) process.disconnect();
}

type Outcome = { readonly ok: true; readonly result: ShardResult } | { readonly ok: false; readonly error: Error };

/** Fork the shards, start them together, wait for every one (so healthy shards still go offline). */
async function runParent(o: GeneratorOptions): Promise<{ results: ShardResult[]; seconds: number }> {
  const script = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = [];
  const broadcast = (m: ToChild): void => {
    for (const c of children) {
      // A child that is exiting may close its channel between the check and the write.
      if (c.connected) c.send(m, () => undefined);
    }
  };
  onStopSignals(() => broadcast({ type: 'stop' }));
  let readyCount = 0;
  let t0 = performance.now();
  const runs = Array.from({ length: o.processes }, (_, i) => {
    const child = fork(script, [...process.argv.slice(2), '--shard', String(i)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (out: Outcome): void => {
        if (!settled) resolve(out);
        settled = true;
      };
      child.on('error', () => undefined); // reported through 'exit'
      child.on('exit', (code) => finish({ ok: false, error: new Error(`shard ${i} exited (code ${code}) without a result`) }));
      child.on('message', (m: FromChild) => {
        switch (m.type) {
          case 'ready':
            if (++readyCount === o.processes) {
              t0 = performance.now();
              broadcast({ type: 'go' });
            }
            return;
          case 'result':
            finish({ ok: true, result: m.result });
            return;
          case 'error': {
            broadcast({ type: 'stop' });
            const code = m.exitCode === EXIT.UNAVAILABLE ? 'UNAVAILABLE' : 'INTERNAL';
            finish({ ok: false, error: new ClearlyError(code, `shard ${i}: ${m.message}`) });
            return;
          }
          default: {
            const unhandled: never = m;
            finish({ ok: false, error: new Error(`unexpected message from shard ${i}: ${JSON.stringify(unhandled)}`) });
          }
        }
      });
    });
  });
  const outcomes = await Promise.all(runs);
  const seconds = (performance.now() - t0) / 1000;
  const results: ShardResult[] = [];
  for (const out of outcomes) {
    if (!out.ok) throw out.error;
    results.push(out.result);
  }
  return { results, seconds };
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(USAGE + '\n');
    return EXIT.OK;
  }
  const o = parsed;
  if (o.shard !== null) {
    await runChild(o, o.shard);
    return EXIT.OK;
  }
  let results: ShardResult[];
  let seconds: number;
  if (o.processes === 1) {
    const ac = new AbortController();
    onStopSignals(() => ac.abort());
    const result = await shardRun(o, 0, await openPublisher(o), ac.signal);
    [results, seconds] = [[result], result.seconds];
  } else {
    ({ results, seconds } = await runParent(o));
  }
  const sum = (f: (r: ShardResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const published = sum((r) => r.published);
  const summary = {
    published,
    messages: sum((r) => r.messages),
    tasks: sum((r) => r.tasks),
    seconds: Math.round(seconds * 1000) / 1000,
    rate: seconds > 0 ? Math.round(published / seconds) : 0,
    broker: maskUrl(o.broker),
    processes: o.processes,
    seed: o.seed,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
  return EXIT.OK;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof ClearlyError && err.code === 'USAGE';
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`generator: ${message}\n${usage ? USAGE + '\n' : ''}`);
    process.exitCode = err instanceof ClearlyError ? err.exitCode : EXIT.INTERNAL;
  },
);
