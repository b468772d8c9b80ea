/**
 * A `clearly server` holding exactly N stored tasks, shared by the measurements that need one
 * (memory, queries, coldstart) within a run: filled once, kept until the run ends.
 *
 * It is fed over RabbitMQ (vhost clearly-bench): the broker queues what the server has not read
 * yet, so the fill loses nothing even when the generator outruns the server. The server's
 * --max-tasks is N, and the generator's event budget is sized to create a few more than N tasks,
 * so the table ends full, as a long-running server's is.
 */
import { ServerConnection } from '../../src/cli/client.js';
import type { Decoded, StatsReply } from '../../src/engine/grpc/messages.js';
import { BROKERS, uniqueHost } from './brokers.js';
import { readStatus } from './proc.js';
import { runGenerator, sleep, startServer, type ServerChild } from './procs.js';

/** The generator's default mix makes about 4.08 events per task; a little over fills the table. */
const EVENTS_PER_TASK = 4.25;
/** One generator run at most this many events, so RabbitMQ's backlog stays modest. */
const CHUNK_EVENTS = 1_000_000;

export interface FilledServer {
  readonly server: ServerChild;
  readonly conn: ServerConnection;
  readonly tasks: number;
  /** RSS right after start, before any event. */
  readonly startRssBytes: number;
  /** Seconds the fill took, and the events it published. */
  readonly fillSeconds: number;
  readonly events: number;
}

export class FilledServers {
  private readonly servers = new Map<number, Promise<FilledServer>>();

  constructor(private readonly log: (message: string) => void) {}

  /** The server with `tasks` stored tasks (started and filled on first use). */
  get(tasks: number): Promise<FilledServer> {
    let s = this.servers.get(tasks);
    if (s === undefined) {
      s = this.fill(tasks);
      this.servers.set(tasks, s);
    }
    return s;
  }

  async closeAll(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    for (const p of all) {
      const s = await p.catch(() => null);
      if (s === null) continue;
      s.conn.close();
      await s.server.stop();
    }
  }

  private async fill(tasks: number): Promise<FilledServer> {
    const server = await startServer(BROKERS.amqp, ['--max-tasks', String(tasks)]);
    const startRssBytes = (await readStatus(server.pid)).rssBytes;
    const conn = new ServerConnection(server.address);
    const t0 = performance.now();
    let published = 0;
    let stats: Decoded<StatsReply> = await conn.stats();
    let round = 0;
    while ((stats.tasks_stored ?? 0) < tasks) {
      const missing = tasks - (stats.tasks_stored ?? 0);
      const events = Math.min(CHUNK_EVENTS, Math.max(1000, Math.ceil(missing * EVENTS_PER_TASK)));
      this.log(`filling a server to ${tasks} tasks: ${stats.tasks_stored ?? 0} stored, publishing ${events} more events`);
      const gen = await runGenerator(BROKERS.amqp, [
        '--max',
        '--events',
        String(events),
        '--host',
        uniqueHost(`fill${tasks}`),
        '--seed',
        String(7000 + ++round),
      ]);
      published += gen.summary.published;
      stats = await waitProcessed(conn, published);
    }
    return { server, conn, tasks, startRssBytes, fillSeconds: (performance.now() - t0) / 1000, events: published };
  }
}

/** Until the server has handled `events` events (or its count stops moving for 3 s). */
async function waitProcessed(conn: ServerConnection, events: number): Promise<Decoded<StatsReply>> {
  let last = -1;
  let since = performance.now();
  for (;;) {
    const s = await conn.stats();
    const n = s.events_processed ?? 0;
    if (n >= events) return s;
    if (n !== last) {
      last = n;
      since = performance.now();
    } else if (performance.now() - since > 3000) {
      return s;
    }
    await sleep(100);
  }
}
