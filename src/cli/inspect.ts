/**
 * The flags of the commands' `--broker` inspection modes (`workers --broker`, `tasks --broker
 * --active|--reserved|--scheduled`, `stats --broker`): reply timeout, destinations, queue names.
 * The asking itself is engine/control/inspect.ts; queue depths engine/broker/queue-depths.ts.
 */
import type { Options } from 'yargs';
import { parseBrokerUrl } from '../engine/broker/url.js';
import { parseDuration } from '../engine/health/thresholds.js';
import { queueDepths } from '../engine/broker/queue-depths.js';
import type { QueueDepth } from '../engine/broker/queues.js';
import { UsageError } from '../errors.js';

/** Flags shared by the commands' `--broker` modes. */
export const inspectOptions = {
  timeout: {
    type: 'string',
    describe: 'With --broker: how long to collect workers\' replies (30s, 1500ms; default 1s)',
  },
  destination: {
    type: 'string',
    array: true,
    alias: 'd',
    describe: 'With --broker: ask only these workers (nodenames such as celery@host; repeat or comma-separate)',
  },
} as const satisfies Record<string, Options>;

export const DEFAULT_REPLY_TIMEOUT = '1s';

/** `--timeout` for reply collection, in ms (default 1 s). */
export function replyTimeoutMs(value: string | undefined): number {
  return parseDuration(value ?? DEFAULT_REPLY_TIMEOUT, '--timeout') * 1000;
}

/** `--destination a,b --destination c` -> [a, b, c] (deduplicated), or null for everyone. */
export function parseDestinations(values: readonly string[] | undefined): string[] | null {
  const out = new Set<string>();
  for (const v of values ?? []) {
    for (const part of v.split(',')) {
      const name = part.trim();
      if (name === '') continue;
      if (!name.includes('@')) throw new UsageError(`--destination: ${JSON.stringify(name)} is not a worker nodename (name@host, as \`clearly workers --broker\` lists them)`);
      out.add(name);
    }
  }
  return out.size === 0 ? null : [...out];
}

// ---------------------------------------------------------------------------------------------
// Queues

/** Queue depths, one per name in the order given; throws UnavailableError when the broker is down. */
export async function queuesFromBroker(brokerUrl: string, queues: readonly string[]): Promise<QueueDepth[]> {
  parseBrokerUrl(brokerUrl, '--broker / CLEARLY_BROKER');
  return queueDepths(brokerUrl, queues);
}

/** `--queue a,b --queue c` -> [a, b, c]; Celery's default queue when none is named. */
export function parseQueueNames(values: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const v of values ?? []) for (const part of v.split(',')) if (part.trim() !== '') out.add(part.trim());
  return out.size === 0 ? ['celery'] : [...out];
}
