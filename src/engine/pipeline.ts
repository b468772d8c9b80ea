/**
 * The per-message path shared by `watch --broker` and the server: decode, reduce, hand changes
 * on. No I/O here; the caller supplies the clock and what to do with each change.
 */
import { decodeMessage } from './events/decode.js';
import type { DecodeError, RawMessage } from './events/types.js';
import type { Change } from './model.js';
import type { State } from './state/state.js';
import type { TapRawMessage } from './broker/tap-source.js';
import { decodeTapped, unwrapRedisEnvelope } from './tap/decode.js';

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
  ) {}

  /** `now`: local receive time, epoch seconds. */
  handle(raw: RawMessage, now: number): void {
    const c = this.counters;
    c.messages++;
    const { events, errors } = decodeMessage(raw);
    for (let i = 0; i < errors.length; i++) {
      c.decodeErrors++;
      this.onDecodeError(errors[i] as DecodeError);
    }
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
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
    const changes = this.state.apply(d.event, now);
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
