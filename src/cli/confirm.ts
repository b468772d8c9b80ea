/**
 * Asking a person before something that cannot be undone (`reset`): only when there is a person
 * to ask, that is stdin and stderr are both a terminal. A script, a pipe or cron is never asked
 * (it would hang or read its own input as the answer); such callers decide with the flags.
 */
import { createInterface } from 'node:readline';

export interface ConfirmIo {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
}

const STDIO: ConfirmIo = { input: process.stdin, output: process.stderr };

/** Whether there is a person at a terminal to ask. */
export function canAsk(io: ConfirmIo = STDIO): boolean {
  return io.input.isTTY === true && io.output.isTTY === true;
}

/**
 * Print `question` and wait for one line: true for y or yes (any case), false for anything else,
 * an empty line, end of input (Ctrl-D) or Ctrl-C. The default is no.
 */
export function confirm(question: string, io: ConfirmIo = STDIO): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.input, output: io.output, terminal: io.input.isTTY === true });
    let answered = false;
    const done = (yes: boolean): void => {
      if (answered) return;
      answered = true;
      rl.close();
      resolve(yes);
    };
    rl.on('SIGINT', () => {
      io.output.write('\n');
      done(false);
    });
    rl.on('close', () => done(false));
    rl.question(`${question} [y/N] `, (answer) => done(/^\s*y(es)?\s*$/i.test(answer)));
  });
}
