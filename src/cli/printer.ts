/** Records -> stdout, as NDJSON or as coloured text. */
import type { Palette } from '../format/colors.js';
import type { OutputRecord } from '../format/record.js';
import { recordJsonBytes } from '../format/record-json.js';
import { renderText, type TextOptions } from '../format/text.js';
import type { LineWriter } from './output.js';

export type Printer = (record: OutputRecord) => boolean;

export function makePrinter(writer: LineWriter, json: boolean, palette: Palette, text: TextOptions): Printer {
  if (json) return (r) => writer.lineBytes(recordJsonBytes(r));
  return (r) => writer.line(renderText(r, palette, text));
}
