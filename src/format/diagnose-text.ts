/**
 * `clearly diagnose` output: text for people (the queues, the workers, then the findings with
 * their fixes, most serious first) and the one JSON object of `--json`. Rendering only.
 */
import { eventsStatus } from '../engine/state/events-status.js';
import type { DiagnoseFacts, QueueFacts, WorkerFacts } from '../engine/diagnose/facts.js';
import { consumersOf, isSaturated, type Diagnosis } from '../engine/diagnose/findings.js';
import { formatSeconds, type Status } from '../engine/health/health.js';
import type { Palette } from './colors.js';

const INDENT = '    ';

function statusPaint(s: Status, p: Palette): (t: string) => string {
  return s === 'CRITICAL' ? p.error : s === 'WARNING' ? p.warn : s === 'UNKNOWN' ? p.dim : p.state('SUCCESS');
}

function queueLine(f: DiagnoseFacts, q: QueueFacts, p: Palette): string {
  const parts = [`${p.label('queue')} ${p.name(q.name)}`];
  if (!q.exists) return `${parts[0]} ${p.warn('does not exist')}`;
  parts.push(q.messages === null ? 'depth unknown' : `${q.messages} waiting`);
  const by = consumersOf(f, q.name).map((w) => w.hostname);
  const count = q.consumers === null ? by.length : q.consumers;
  parts.push(`${count} consumer${count === 1 ? '' : 's'}${by.length > 0 ? ` (${by.map((h) => p.worker(h)).join(', ')})` : ''}`);
  if (!q.next.ok) parts.push(p.dim(`oldest message: not available (${q.next.reason})`));
  else if (q.next.message !== null) {
    const m = q.next.message;
    const age = q.waitedAtLeast === null ? '' : `, waited ≥ ${formatSeconds(q.waitedAtLeast)}`;
    parts.push(`next ${p.name(m.task ?? '<unknown task>')} ${p.uuid(m.id ?? '?')}${m.eta === null ? '' : ` (eta ${m.eta})`}${age}`);
  }
  return parts.join(', ');
}

function workerLine(f: DiagnoseFacts, w: WorkerFacts, p: Palette): string {
  const parts = [`${p.label('worker')} ${p.worker(w.hostname)}`];
  if (w.concurrency !== null || w.active !== null) {
    const busy = `${w.active?.length ?? '?'}/${w.concurrency ?? '?'} slots busy`;
    parts.push(isSaturated(w) ? p.warn(busy) : busy);
  }
  if (w.reserved !== null) parts.push(`${w.reserved} prefetched`);
  if (w.scheduled !== null) parts.push(`${w.scheduled} scheduled`);
  if (w.queues !== null) parts.push(`queues ${w.queues.join(', ') || '(none)'}`);
  const ev = eventsStatus(w).status;
  const events = ev === 'on' ? 'events on' : ev === 'unknown' ? 'events unknown (idle)' : p.warn(ev === 'task-events-off' ? 'task events OFF' : 'no events');
  parts.push(events);
  parts.push(w.lastHeartbeatAt === null ? 'no heartbeat heard' : `heartbeat ${formatSeconds(Math.max(0, f.now - w.lastHeartbeatAt))} ago`);
  if (!w.answersPidbox) parts.push(p.warn('no pidbox answer'));
  return parts.join(', ');
}

export function renderDiagnosis(f: DiagnoseFacts, d: Diagnosis, p: Palette): string[] {
  const lines = [p.dim(`${f.broker}: listened ${formatSeconds(f.listenedSeconds)}`)];
  for (const q of f.queues) lines.push(queueLine(f, q, p));
  for (const w of f.workers) lines.push(workerLine(f, w, p));
  lines.push('');
  for (const x of d.findings) {
    lines.push(`${statusPaint(x.status, p)(x.status.padEnd(8))} ${x.message}`);
    if (x.fix !== null) lines.push(`${INDENT}${p.label('fix')} ${x.fix}`);
  }
  return lines;
}

/** `--json`: the verdict, every finding, and the facts they were judged on (snake_case). */
export function diagnosisJson(f: DiagnoseFacts, d: Diagnosis): Record<string, unknown> {
  return {
    status: d.status,
    exit_code: d.exitCode,
    broker: f.broker,
    listened_seconds: f.listenedSeconds,
    findings: d.findings.map((x) => ({ kind: x.kind, status: x.status, subject: x.subject, message: x.message, fix: x.fix })),
    queues: f.queues.map((q) => ({
      name: q.name,
      exists: q.exists,
      messages: q.messages,
      consumers: q.consumers,
      consumed_by: consumersOf(f, q.name).map((w) => w.hostname),
      next: q.next.ok ? q.next.message : { unavailable: q.next.reason },
      waited_at_least_seconds: q.waitedAtLeast,
    })),
    workers: f.workers.map((w) => ({
      hostname: w.hostname,
      queues: w.queues,
      concurrency: w.concurrency,
      prefetch_count: w.prefetchCount,
      active: w.active?.map((t) => ({ id: t.id, name: t.name, started_at: t.startedAt })) ?? null,
      reserved: w.reserved,
      scheduled: w.scheduled,
      saturated: isSaturated(w),
      events: eventsStatus(w).status,
      heartbeats: w.heartbeats,
      task_events: w.taskEvents,
      heartbeat_age_seconds: w.lastHeartbeatAt === null ? null : Math.max(0, f.now - w.lastHeartbeatAt),
      answers_pidbox: w.answersPidbox,
    })),
    tasks_first_sent: f.tasksFirstSent,
    tasks_first_received: f.tasksFirstReceived,
    task_sent_heard: f.taskSentHeard,
  };
}
