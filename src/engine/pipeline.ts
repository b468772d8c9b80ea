/**
 * The per-message path shared by `watch --broker` and the server: decode, redact, reduce, hand
 * changes on. No I/O here; the caller supplies the clock and what to do with each change.
 *
 * Redaction is here, between decoding and the reducer, so the State and everything that reads it
 * (live streams, queries, the store) only ever hold the redacted text.
 */
import { decodeMessage } from './events/decode.js';
import type { CeleryEvent, DecodeError, RawMessage, TaskEvent } from './events/types.js';
import type { Redactor } from './redact/redact.js';
import type { Change } from './model.js';
import type { State } from './state/state.js';
import type { TapRawMessage } from './broker/tap-source.js';
import { decodeTapped, unwrapRedisEnvelope } from './tap/decode.js';
import { dumpPythonJson, parsePythonJson } from './events/py-json.js';

export interface PipelineCounters {
  messages: number;
  events: number;
  decodeErrors: number;
  /** Timestamp (sender clock) of the newest event, for consumer lag. */
  lastEventTimestamp: number;
  /** Task messages taken from a tap (tap/), decoded or not. */
  tapped: number;
}

export class Pipeline {
  readonly counters: PipelineCounters = { messages: 0, events: 0, decodeErrors: 0, lastEventTimestamp: 0, tapped: 0 };

  constructor(
    readonly state: State,
    private readonly onChange: (change: Change) => void,
    private readonly onDecodeError: (error: DecodeError) => void,
    /** null: redaction off (`--redact ''`). */
    private readonly redactor: Redactor | null = null,
  ) {}

  /** `now`: local receive time, epoch seconds. */
  handle(raw: RawMessage, now: number): void {
    const c = this.counters;
    c.messages++;
    const { events, errors } = decodeMessage(raw);
    for (let i = 0; i < errors.length; i++) {
      c.decodeErrors++;
      const e = errors[i] as DecodeError;
      // A detail may quote a piece of a malformed body (shown with --debug): redacted too.
      this.onDecodeError(this.redactor === null ? e : { ...e, detail: this.redactor.text(e.detail) });
    }
    for (let i = 0; i < events.length; i++) {
      const ev = this.redactor === null ? events[i]! : redactEvent(events[i]!, this.redactor);
      c.events++;
      if (ev.timestamp > c.lastEventTimestamp) c.lastEventTimestamp = ev.timestamp;
      const changes = this.state.apply(ev, now);
      for (let j = 0; j < changes.length; j++) this.onChange(changes[j]!);
    }
  }

  /**
   * A task message from the tap (AMQP as delivered, or Redis' envelope text): merged as the
   * task-sent its publisher may not have sent, with the whole args (tap/decode.ts).
   */
  handleTapped(raw: TapRawMessage | { readonly envelope: string; readonly queue: string }, now: number): void {
    const c = this.counters;
    c.tapped++;
    const msg = 'envelope' in raw ? unwrapRedisEnvelope(raw.envelope, raw.queue) : raw;
    if (msg === null) {
      c.decodeErrors++;
      this.onDecodeError({ reason: 'bad-envelope', detail: `tapped message from ${'queue' in raw ? raw.queue : '?'}: not kombu's envelope` });
      return;
    }
    const d = decodeTapped(msg, now);
    if (!d.ok) {
      c.decodeErrors++;
      this.onDecodeError(d.error);
      return;
    }
    const ev = this.redactor === null ? d.event : redactTapped(d.event, this.redactor);
    const changes = this.state.applyTapped(ev, now);
    for (let j = 0; j < changes.length; j++) this.onChange(changes[j]!);
  }

  /**
   * Expire workers whose heartbeats stopped (a killed worker sends no worker-offline): their
   * OFFLINE, and the tasks they left behind, now lost.
   */
  tick(now: number): Change[] {
    const changes = this.state.expire(now);
    for (const ch of changes) this.onChange(ch);
    return changes;
  }
}

/** The event with its secrets replaced; the same object when there were none (the common case). */
export function redactEvent(ev: CeleryEvent, r: Redactor): CeleryEvent {
  if (ev.kind !== 'task') return ev;
  const { args, kwargs, result, exception, traceback } = ev;
  const a = args === undefined ? args : r.text(args);
  const k = kwargs === undefined ? kwargs : r.text(kwargs);
  const res = result === undefined ? result : r.text(result);
  const ex = exception === undefined ? exception : r.text(exception);
  const tb = traceback === undefined ? traceback : r.text(traceback);
  if (a === args && k === kwargs && res === result && ex === exception && tb === traceback) return ev;
  const out: { -readonly [K in keyof TaskEvent]: TaskEvent[K] } = { ...ev };
  if (a !== undefined) out.args = a;
  if (k !== undefined) out.kwargs = k;
  if (res !== undefined) out.result = res;
  if (ex !== undefined) out.exception = ex;
  if (tb !== undefined) out.traceback = tb;
  return out;
}

/** A tapped task's reprs and its whole JSON args/kwargs, with secret keys' values as `'***'` (`--redact`). */
function redactTapped(ev: TaskEvent, r: Redactor): TaskEvent {
  const out = redactEvent(ev, r) as TaskEvent;
  const json = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const p = parsePythonJson(text);
    // A value that does not parse is not kept at all: its repr (redacted) is what shows.
    if (!p.ok) return undefined;
    const v = r.value(p.value);
    return v === p.value ? text : dumpPythonJson(v);
  };
  const a = json(ev.args_json);
  const k = json(ev.kwargs_json);
  if (a === ev.args_json && k === ev.kwargs_json) return out;
  return { ...out, args_json: a, kwargs_json: k };
}
