/**
 * What a starting server loads back into memory from its store: the newest `maxTasks` tasks, and
 * the tasks still sitting on a worker (RECEIVED or STARTED) however old, as memory itself keeps
 * unfinished tasks longest. Without the latter, a long task a dead worker left STARTED behind
 * more than `maxTasks` newer ones would never be marked lost after a restart (state/lost.ts needs
 * it in memory when its worker is found gone). Oldest first (by `seq`), so memory's order of last
 * change is the store's; at most `maxTasks` in all.
 */
import type { StoreQuery } from './query.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';

function onAWorker(limit: number): StoreQuery {
  return {
    statesIn: ['RECEIVED', 'STARTED'],
    statesOut: [],
    pattern: null,
    worker: null,
    since: null,
    until: null,
    search: null,
    retried: false,
    lost: false,
    limit,
    oldestFirst: false,
  };
}

export async function warmRows(store: Store, maxTasks: number): Promise<TaskRow[]> {
  const [recent, running] = await Promise.all([store.recent(maxTasks), store.queryTasks(onAWorker(maxTasks))]);
  // At most maxTasks in all (memory's size): every one on a worker, then the newest of the rest.
  const chosen = new Map<string, TaskRow>(running.map((r) => [r.uuid, r]));
  for (const r of recent) {
    if (chosen.size >= maxTasks) break;
    chosen.set(r.uuid, r);
  }
  return [...chosen.values()].sort((a, b) => a.seq - b.seq);
}
