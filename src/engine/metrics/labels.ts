/**
 * What celery-exporter's label values hold, as it computes them: `hostname` is the part after `@`
 * (Celery's `nodesplit`), `exception` the class name at the start of the exception's repr, and the
 * queue wait's baseline the later of sent and the ETA (an ISO 8601 string; without a zone, the
 * monitor's local time, as Python's `datetime.timestamp()` reads it).
 */

/** celery.utils.nodesplit(name)[1]: `worker@host` -> `host`, `host` -> `host`. */
export function nodeHost(nodename: string): string {
  const at = nodename.indexOf('@');
  return at === -1 ? nodename : nodename.slice(at + 1);
}

const EXCEPTION_CLASS = /^(\w+)\(/;

/** exporter.py get_exception_class_name: `ValueError('x')` -> `ValueError`; anything else `UnknownException`. */
export function exceptionClass(exception: string | null | undefined): string {
  if (exception === null || exception === undefined) return 'UnknownException';
  return EXCEPTION_CLASS.exec(exception)?.[1] ?? 'UnknownException';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Epoch seconds of an ISO 8601 datetime (Celery's maybe_iso8601 + datetime.timestamp()): with a
 * zone as written; without one, local time, as Python reads a naive datetime. Null if unparsable.
 */
export function isoSeconds(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const m = ISO.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fraction = frac === undefined ? 0 : Number(`0.${frac}`);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)] as const;
  if (zone === undefined) {
    const local = new Date(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]).getTime();
    return Number.isFinite(local) ? local / 1000 + fraction : null;
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  }
  const utc = Date.UTC(...fields);
  return Number.isFinite(utc) ? utc / 1000 - offsetMinutes * 60 + fraction : null;
}

/**
 * exporter.py's queue wait: started minus the later of sent and the ETA, never negative (clock
 * skew). Null when the task was never seen sent. exporter.py works on Celery's "localised"
 * timestamps (each event's shifted by its own utcoffset minus the monitor's) and shifts the ETA by
 * the task-started's offset, so the shifts cancel: its value is this one, on the events' own epoch
 * seconds, whatever the monitor's time zone (clearly keeps epoch seconds as sent, unshifted). Only
 * a publisher and a worker in different time zones would make exporter.py's differ, by their
 * whole-hour offset: Celery's quirk, not a queue wait, and not copied.
 */
export function queueWaitSeconds(sent: number | null, started: number, eta: string | null): number | null {
  if (sent === null) return null;
  const etaTs = isoSeconds(eta);
  const baseline = etaTs === null ? sent : Math.max(sent, etaTs);
  return Math.max(0, started - baseline);
}
