/**
 * Records -> stdout, as NDJSON or as coloured text: the one printer of every live command. It
 * takes records (from a clearly server) and engine changes (straight from a broker, filtered here);
 * it counts what it printed and stops at the limit. NDJSON of a change goes straight from the task
 * to the line, without a record object (the `watch --broker --json` hot path).
 */
import type { Filter } from '../engine/table/filter.js';
import { hasAllWords } from '../engine/table/search.js';
import type { Change } from '../engine/model.js';
import { changeJsonLines, changeRecords, type JsonLineSink } from '../format/changes.js';
import type { Palette } from '../format/colors.js';
import { recordJsonBytes } from '../format/record-json.js';
import type { OutputRecord } from '../format/record.js';
import { renderText, type TextOptions } from '../format/text.js';
import { LineWriter, type LineSink } from './output.js';

export type Printer = (record: OutputRecord) => boolean;

/**
 * One record per line: NDJSON, or text for people. Returns false when the line was dropped.
 * `live`: lines come as things happen, so the text's time column is kept from running backwards
 * (a history listing is sorted, and shows each record's own time).
 */
export function makePrinter(writer: LineWriter, json: boolean, palette: Palette, text: TextOptions, live = false): Printer {
  if (json) return (r) => writer.lineBytes(recordJsonBytes(r));
  if (!live) return (r) => writer.line(renderText(r, palette, text));
  let shownUpTo: number | undefined;
  return (r) => {
    const line = renderText(r, palette, { ...text, shownUpTo });
    if (shownUpTo === undefined || r.timestamp > shownUpTo) shownUpTo = r.timestamp;
    return writer.line(line);
  };
}

export interface LivePrinterOptions {
  readonly json: boolean;
  readonly palette: Palette;
  readonly text: TextOptions;
  /** What changes from a broker must pass (a server filters its records itself). */
  readonly filter: Filter;
  /** Stop after this many lines (`--count`). */
  readonly limit?: number | undefined;
  /**
   * `--search`'s words: only tasks whose name, args, kwargs, result or exception hold them all
   * (judged here, on records and changes alike; worker records pass).
   */
  readonly search?: readonly string[] | null | undefined;
}

/**
 * Prints records and changes until `limit` lines were written, and counts them by kind. It is done
 * (`onDone`) at the limit or when the reader closes the pipe (`| head`).
 */
export class LivePrinter {
  tasks = 0;
  workers = 0;
  readonly writer: LineWriter;
  private readonly print: Printer;
  private readonly jsonLine: JsonLineSink | undefined;
  private readonly filter: Filter;
  private readonly limit: number;
  private readonly search: readonly string[] | null;
  private done: () => void = () => {};

  constructor(out: LineSink, o: LivePrinterOptions) {
    this.writer = new LineWriter(out, () => this.done());
    this.print = makePrinter(this.writer, o.json, o.palette, o.text, true);
    this.filter = o.filter;
    this.limit = o.limit ?? Infinity;
    this.search = o.search ?? null;
    this.jsonLine = o.json ? (bytes, kind) => this.written(kind, this.writer.lineBytes(bytes)) : undefined;
  }

  /** `fn` runs when the printer is done: the limit reached, or stdout closed by its reader. */
  onDone(fn: () => void): void {
    this.done = fn;
  }

  /** A record as it came (already filtered by the server). */
  record(record: OutputRecord): void {
    if (this.writer.written >= this.limit) return;
    if (this.search !== null && record.kind === 'task') {
      if (!hasAllWords(this.search, [record.name, record.args_repr, record.kwargs_repr, record.result_repr, record.exception])) return;
    }
    this.written(record.kind, this.print(record));
  }

  /** An engine change: its records that pass the filter. */
  change(change: Change): void {
    if (this.writer.written >= this.limit) return;
    if (this.search !== null && change.kind === 'task') {
      const t = change.task;
      if (!hasAllWords(this.search, [t.name, t.args, t.kwargs, t.result, t.exception])) return;
    }
    if (this.jsonLine !== undefined) return changeJsonLines(change, this.filter, this.jsonLine);
    for (const record of changeRecords(change, this.filter)) {
      if (!this.written(record.kind, this.print(record))) return;
    }
  }

  /** Counts a line (when it was not dropped); false once the limit is reached. */
  private written(kind: OutputRecord['kind'], printed: boolean): boolean {
    if (printed) {
      if (kind === 'task') this.tasks++;
      else this.workers++;
    }
    if (this.writer.written < this.limit) return true;
    this.done();
    return false;
  }
}
