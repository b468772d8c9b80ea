/**
 * One palette for every renderer, so "colour only on a TTY, NO_COLOR respected, --no-color" is
 * decided once (at the CLI edge) and formatting code never looks at the environment.
 */
import pc from 'picocolors';

export type Paint = (text: string) => string;

export interface Palette {
  readonly enabled: boolean;
  readonly dim: Paint;
  readonly bold: Paint;
  // Python repr values (as the Python Clearly colours them)
  readonly str: Paint;
  readonly num: Paint;
  readonly keyword: Paint; // None / True / False / inf / nan
  readonly bytes: Paint;
  readonly key: Paint; // kwargs names
  readonly punct: Paint; // brackets, commas, `=`, `:`
  readonly list: Paint;
  readonly tuple: Paint;
  readonly dict: Paint;
  readonly set: Paint;
  readonly call: Paint; // datetime.datetime(...), Decimal(...), UUID(...)
  readonly truncated: Paint; // `...`, `{...}`
  readonly raw: Paint; // text we could not parse
  // records
  readonly name: Paint;
  readonly uuid: Paint;
  readonly worker: Paint;
  readonly label: Paint;
  readonly error: Paint;
  readonly warn: Paint;
  readonly state: (state: string) => Paint;
}

const STATE_COLOURS: Record<string, keyof ReturnType<typeof pc.createColors>> = {
  PENDING: 'blue',
  RECEIVED: 'blue',
  STARTED: 'yellow',
  SUCCESS: 'green',
  FAILURE: 'red',
  RETRY: 'magenta',
  REVOKED: 'magenta',
  REJECTED: 'red',
  ONLINE: 'green',
  HEARTBEAT: 'cyan',
  OFFLINE: 'red',
};

export function makePalette(enabled: boolean): Palette {
  const c = pc.createColors(enabled);
  const byState = new Map<string, Paint>();
  for (const [state, colour] of Object.entries(STATE_COLOURS)) {
    const paint = c[colour] as Paint;
    byState.set(state, (t) => c.bold(paint(t)));
  }
  // Bold in the terminal's own foreground: white would vanish on a light background.
  const other: Paint = (t) => c.bold(t);
  return {
    enabled,
    dim: c.dim,
    bold: c.bold,
    str: c.yellow,
    num: c.cyan,
    keyword: c.magenta,
    bytes: c.green,
    key: c.blue,
    punct: c.dim,
    list: c.green,
    tuple: c.blue,
    dict: c.red,
    set: c.magenta,
    call: c.cyan,
    truncated: (t) => c.dim(c.italic(t)),
    raw: (t) => t,
    name: c.bold,
    uuid: c.dim,
    worker: c.cyan,
    label: c.dim,
    error: c.red,
    warn: c.yellow,
    state: (s) => byState.get(s) ?? other,
  };
}

/**
 * Whether to colour a stream: an explicit --color / --no-color (or CLEARLY_COLOR) decides; without
 * one, never with NO_COLOR (any value), always with FORCE_COLOR, else only when the stream is a
 * TTY. The flag wins over the environment: NO_COLOR says what a user wants by default, the flag
 * what they want now (no-color.org: "user-level configuration ... should override it").
 */
export function shouldColour(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean | undefined,
): boolean {
  if (flag !== undefined) return flag;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stream.isTTY === true;
}
