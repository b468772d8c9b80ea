/**
 * The verdicts of `clearly diagnose`: each finding with its fix, most serious first, and the
 * exit code `check` would give (the worst status). One judge per kind of finding, each reading
 * the facts only; `now` comes in the facts.
 */
import { formatSeconds, STATUS_EXIT, worst, type Status } from '../health/health.js';
import { EVENTS_FIX, TASK_SENT_FIX, eventsStatus } from '../state/events-status.js';
import type { DiagnoseFacts, QueueFacts, WorkerFacts } from './facts.js';

export type FindingKind =
  | 'no-worker'
  | 'no-consumer'
  | 'queue-missing'
  | 'queue-stalled'
  | 'saturated'
  | 'task-events-off'
  | 'no-heartbeats'
  | 'no-task-sent'
  | 'unanswered'
  | 'scheduled'
  | 'all-clear';

export interface Finding {
  readonly kind: FindingKind;
  readonly status: Status;
  /** The queue or worker it is about; null for the cluster as a whole. */
  readonly subject: string | null;
  readonly message: string;
  /** What to do about it; null when nothing needs doing. */
  readonly fix: string | null;
}

export interface Diagnosis {
  readonly status: Status;
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly findings: readonly Finding[];
}

const RANK: Readonly<Record<Status, number>> = { CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3 };
const code = (q: string): string => `\`${q}\``;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Workers that consume `queue` (by their active_queues). */
export function consumersOf(facts: DiagnoseFacts, queue: string): WorkerFacts[] {
  return facts.workers.filter((w) => w.queues?.includes(queue) === true);
}

/** Every pool slot busy: its active tasks fill its concurrency. */
export function isSaturated(w: WorkerFacts): boolean {
  return w.concurrency !== null && w.concurrency > 0 && w.active !== null && w.active.length >= w.concurrency;
}

function queueFindings(facts: DiagnoseFacts, q: QueueFacts): Finding[] {
  const out: Finding[] = [];
  const waiting = q.messages ?? 0;
  const consumers = consumersOf(facts, q.name);
  if (!q.exists) {
    out.push({
      kind: 'queue-missing',
      status: 'WARNING',
      subject: q.name,
      message: `queue ${code(q.name)} does not exist on ${facts.broker}${facts.transport === 'redis' ? ' (empty, and no worker bound it)' : ''}`,
      fix: 'check the name (a typo?) and the routing: tasks routed to it are dropped or wait for a declare',
    });
    return out;
  }
  // RabbitMQ counts consumers itself; on Redis only the workers' active_queues say, so a worker
  // that did not answer leaves it open.
  const none = q.consumers !== null ? q.consumers === 0 && consumers.length === 0 : consumers.length === 0 && facts.workers.every((w) => w.queues !== null);
  if (none) {
    out.push({
      kind: 'no-consumer',
      status: waiting > 0 ? 'CRITICAL' : 'WARNING',
      subject: q.name,
      message: `no worker consumes queue ${code(q.name)}${waiting > 0 ? ` (${plural(waiting, 'message')} waiting)` : ''}`,
      fix: `start a worker for it (celery -A APP worker -Q ${q.name}), or add it to a running one (celery -A APP control add_consumer ${q.name})`,
    });
  } else if (waiting > 0 && consumers.length > 0 && consumers.every(isSaturated)) {
    out.push({
      kind: 'queue-stalled',
      status: 'CRITICAL',
      subject: q.name,
      message: `${plural(waiting, 'message')} wait in ${code(q.name)} and every worker consuming it is busy (${consumers.map((w) => w.hostname).join(', ')})`,
      fix: 'add workers or concurrency for it, or find out why its running tasks take so long (see the busy workers below)',
    });
  }
  if (q.next.ok && q.next.message?.eta !== null && q.next.message?.eta !== undefined) {
    out.push({
      kind: 'scheduled',
      status: 'OK',
      subject: q.name,
      message: `the next message in ${code(q.name)} is scheduled for ${q.next.message.eta} (${q.next.message.task ?? 'a task'} ${q.next.message.id ?? ''})`.trimEnd(),
      fix: null,
    });
  }
  return out;
}

function workerFindings(facts: DiagnoseFacts, w: WorkerFacts): Finding[] {
  const out: Finding[] = [];
  if (isSaturated(w)) {
    const active = w.active!;
    const starts = active.map((t) => t.startedAt).filter((t): t is number => t !== null);
    // All slots have been busy since the latest of the running tasks started.
    const since = starts.length === active.length && starts.length > 0 ? Math.max(...starts) : null;
    const names = new Map<string, number>();
    for (const t of active) names.set(t.name ?? '<unknown task>', (names.get(t.name ?? '<unknown task>') ?? 0) + 1);
    const top = [...names].sort((a, b) => b[1] - a[1]).map(([n]) => code(n));
    const busy = since === null ? '' : ` for ${formatSeconds(Math.max(0, facts.now - since))}`;
    out.push({
      kind: 'saturated',
      status: 'WARNING',
      subject: w.hostname,
      message:
        `all ${w.concurrency} slots of ${w.hostname} busy${busy} with ${top.slice(0, 3).join(', ')}` +
        (w.reserved !== null && w.reserved > 0 ? `, ${plural(w.reserved, 'more task')} prefetched waiting for a slot` : ''),
      fix: 'raise its --concurrency or add workers; for long tasks, -O fair and a low worker_prefetch_multiplier keep them from holding others back',
    });
  }
  const ev = eventsStatus(w);
  if (ev.status === 'task-events-off' || ev.status === 'no-heartbeats') {
    out.push({
      kind: ev.status,
      status: 'WARNING',
      subject: w.hostname,
      message: ev.status === 'task-events-off' ? `${w.hostname} has task events disabled: ${ev.reason}` : `${w.hostname} sends no events: ${ev.reason}`,
      fix: EVENTS_FIX[ev.status],
    });
  }
  if (w.answersPidbox && (w.queues === null || w.concurrency === null || w.active === null)) {
    const missing = [w.queues === null ? 'active_queues' : null, w.concurrency === null ? 'stats' : null, w.active === null ? 'active' : null].filter(
      (x) => x !== null,
    );
    out.push({
      kind: 'unanswered',
      status: 'UNKNOWN',
      subject: w.hostname,
      message: `${w.hostname} did not answer ${missing.join(', ')} in time`,
      fix: 'give it longer (--timeout 3s); a worker whose pool is blocked answers late or not at all',
    });
  }
  return out;
}

function clusterFindings(facts: DiagnoseFacts): Finding[] {
  const out: Finding[] = [];
  if (!facts.workers.some((w) => w.answersPidbox)) {
    out.push({
      kind: 'no-worker',
      status: 'CRITICAL',
      subject: null,
      message: `no worker answers on ${facts.broker}`,
      fix: 'start a worker on this broker (celery -A APP worker), or check that its broker URL and vhost/db are this one',
    });
  }
  // A worker's task-received often overtakes the publisher's task-sent: only none at all says it is off.
  if (facts.tasksFirstReceived > 0 && facts.taskSentHeard === 0) {
    out.push({
      kind: 'no-task-sent',
      status: 'WARNING',
      subject: null,
      message: `the publishers send no task-sent events: ${plural(facts.tasksFirstReceived, 'task')} first appeared at a worker's task-received`,
      fix: TASK_SENT_FIX,
    });
  }
  return out;
}

/** Every finding, most serious first (ties: cluster, then queues, then workers, in order). */
export function diagnose(facts: DiagnoseFacts): Diagnosis {
  const findings = [
    ...clusterFindings(facts),
    ...facts.queues.flatMap((q) => queueFindings(facts, q)),
    ...facts.workers.flatMap((w) => workerFindings(facts, w)),
  ];
  if (!findings.some((f) => f.status !== 'OK')) {
    findings.push({
      kind: 'all-clear',
      status: 'OK',
      subject: null,
      message: `nothing found wrong: ${plural(facts.workers.length, 'worker')} answering, ${plural(facts.queues.length, 'queue')} consumed`,
      fix: null,
    });
  }
  const sorted = findings.map((f, i) => [f, i] as const).sort((a, b) => RANK[a[0].status] - RANK[b[0].status] || a[1] - b[1]).map(([f]) => f);
  const status = worst(sorted.map((f) => f.status));
  return { status, exitCode: STATUS_EXIT[status], findings: sorted };
}
