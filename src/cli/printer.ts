/** Records -> stdout, as NDJSON or as coloured text. */
import type { Filter } from '../engine/table/filter.js';
import type { Change } from '../engine/model.js';
import { changeJsonLines, changeRecords, type JsonLineSink } from '../format/changes.js';
import type { Palette } from '../format/colors.js';
import { recordJsonBytes } from '../format/record-json.js';
import type { OutputRecord } from '../format/record.js';
import { renderText, type TextOptions } from '../format/text.js';
import type { LineWriter } from './output.js';

export type Printer = (record: OutputRecord) => boolean;

export function makePrinter(writer: LineWriter, json: boolean, palette: Palette, text: TextOptions): Printer {
  if (json) return (r) => writer.lineBytes(recordJsonBytes(r));
  return (r) => writer.line(renderText(r, palette, text));
}

/**
 * Prints the records of engine changes (`watch --broker`) that pass `filter`, until `limit`
 * lines were written, and counts them. NDJSON goes straight from the task to the line.
 */
export class ChangePrinter {
  tasks = 0;
  workers = 0;
  private readonly print: Printer;
  private readonly jsonLine: JsonLineSink | undefined;

  constructor(
    private readonly writer: LineWriter,
    json: boolean,
    palette: Palette,
    text: TextOptions,
    private readonly filter: Filter,
    private readonly limit = Infinity,
  ) {
    this.print = makePrinter(writer, json, palette, text);
    this.jsonLine = json ? (bytes, kind) => this.written(kind, this.writer.lineBytes(bytes)) : undefined;
  }

  printChange(change: Change): void {
    if (this.writer.written >= this.limit) return;
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
    return this.writer.written < this.limit;
  }
}
