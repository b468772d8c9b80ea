/**
 * The per-message path shared by `watch --broker` and the server: decode, reduce, hand changes
 * on. No I/O here; the caller supplies the clock and what to do with each change.
 */
import { decodeMessage } from './events/decode.js';
import type { DecodeError, RawMessage } from './events/types.js';
import type { Change } from './model.js';
import type { State } from './state/state.js';

export interface PipelineCounters {
  messages: number;
  events: number;
  decodeErrors: number;
  /** Timestamp (sender clock) of the newest event, for consumer lag. */
  lastEventTimestamp: number;
}

export class Pipeline {
  readonly counters: PipelineCounters = { messages: 0, events: 0, decodeErrors: 0, lastEventTimestamp: 0 };

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
   * Expire workers whose heartbeats stopped (a killed worker sends no worker-offline): their
   * OFFLINE, and the tasks they left behind, now lost.
   */
  tick(now: number): Change[] {
    const changes = this.state.expire(now);
    for (const ch of changes) this.onChange(ch);
    return changes;
  }
}
