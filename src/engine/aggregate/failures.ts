/**
 * `clearly failures`: failed (and, asked for, retried) tasks grouped by their cause's fingerprint
 * (fingerprint.ts). Per group: how many, which task names and workers, first and last seen, and
 * one example (the latest) with its message as raised. The biggest group first. A retried task is
 * one that ever retried (a task-retried seen: `retried` set, or its state RETRY), whether it waits
 * for its next attempt, runs it, or has since succeeded: it is grouped by the error it last
 * retried on (a task that finally failed counts once, by its failure).
 */
import { failureCause } from './fingerprint.js';
import type { TaskSample } from './sample.js';

export interface FailureGroup {
  readonly fingerprint: string;
  readonly exception: string;
  /** The normalised message the group shares. */
  readonly message: string;
  readonly frame: string | null;
  readonly count: number;
  readonly names: readonly string[];
  /** Epoch seconds. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly workers: readonly string[];
  readonly example: { readonly uuid: string; readonly message: string };
}

interface Acc {
  readonly fingerprint: string;
  readonly exception: string;
  readonly message: string;
  readonly frame: string | null;
  count: number;
  readonly names: Set<string>;
  readonly workers: Set<string>;
  firstSeen: number;
  lastSeen: number;
  example: { uuid: string; message: string };
}

export class Failures {
  private readonly groups = new Map<string, Acc>();

  constructor(private readonly withRetries = false) {}

  /** Counts the task if it failed (or, with retries, ever retried); true if it did. */
  add(t: TaskSample): boolean {
    const failed = t.state === 'FAILURE';
    if (!failed && !(this.withRetries && (t.state === 'RETRY' || t.retried !== null))) return false;
    const cause = failureCause(t.exception, t.traceback);
    const at = (failed ? t.failed : t.retried) ?? t.timestamp;
    let g = this.groups.get(cause.fingerprint);
    if (g === undefined) {
      g = {
        fingerprint: cause.fingerprint,
        exception: cause.exception,
        message: cause.normalized,
        frame: cause.frame,
        count: 0,
        names: new Set(),
        workers: new Set(),
        firstSeen: at,
        lastSeen: at,
        example: { uuid: t.uuid, message: cause.message },
      };
      this.groups.set(cause.fingerprint, g);
    }
    g.count++;
    if (t.name !== null) g.names.add(t.name);
    if (t.worker !== null) g.workers.add(t.worker);
    if (at < g.firstSeen) g.firstSeen = at;
    if (at >= g.lastSeen) {
      g.lastSeen = at;
      g.example = { uuid: t.uuid, message: cause.message };
    }
    return true;
  }

  /** Biggest first; equal counts, the most recent first. */
  groupsBySize(): FailureGroup[] {
    return [...this.groups.values()]
      .map((g) => ({ ...g, names: [...g.names].sort(), workers: [...g.workers].sort() }))
      .sort((x, y) => y.count - x.count || y.lastSeen - x.lastSeen || x.fingerprint.localeCompare(y.fingerprint));
  }
}
