/**
 * The part of a task the aggregations read: a neutral shape both the model's Task (memory, a live
 * broker session) and the wire's TaskMessage (a server's history) map to.
 */
export interface TaskSample {
  readonly uuid: string;
  readonly name: string | null;
  readonly state: string;
  readonly worker: string | null;
  readonly retries: number;
  readonly exception: string | null;
  readonly traceback: string | null;
  readonly runtime: number | null;
  /** Epoch seconds of each state's event, null when not seen. */
  readonly sent: number | null;
  readonly received: number | null;
  readonly started: number | null;
  readonly succeeded: number | null;
  readonly failed: number | null;
  readonly retried: number | null;
  /** The last event's time (epoch seconds). */
  readonly timestamp: number;
}
