import { describe, expect, it } from 'vitest';
import { asksJson, planCheck } from '../../src/commands/check.js';
import { UsageError } from '../../src/errors.js';

/** The argv yargs hands the handler, with the defaults it fills in. */
const argv = (over: Record<string, unknown>) =>
  ({ window: '10m', listen: '5s', timeout: '1s', json: false, debug: false, _: ['check'], $0: 'clearly', ...over }) as Parameters<typeof planCheck>[0];

describe('planCheck', () => {
  it('the server by default', () => {
    const p = planCheck(argv({ minWorkers: '2' }));
    expect(p).toMatchObject({ mode: 'server', server: 'localhost:12223', broker: undefined, listenSeconds: 5, timeoutMs: 1000 });
  });

  it('--broker alone measures on the broker', () => {
    const p = planCheck(argv({ minWorkers: '2', broker: 'redis://127.0.0.1:6379/0', listen: '2s', timeout: '500ms' }));
    expect(p).toMatchObject({ mode: 'broker', broker: 'redis://127.0.0.1:6379/0', listenSeconds: 2, timeoutMs: 500 });
  });

  it('--server with --broker: the server, and the broker for queue depths', () => {
    const p = planCheck(argv({ maxQueue: ['celery=5'], broker: 'amqp://guest:guest@localhost:5672//', server: 'clearly:12223' }));
    expect(p).toMatchObject({ mode: 'server', server: 'clearly:12223', broker: 'amqp://guest:guest@localhost:5672//' });
  });

  it('every flag is checked before anything connects', () => {
    expect(() => planCheck(argv({}))).toThrow(UsageError);
    expect(() => planCheck(argv({ minWorkers: '2', broker: 'http://x' }))).toThrow(/^--broker \/ CLEARLY_BROKER: unsupported scheme "http:"/);
    expect(() => planCheck(argv({ minWorkers: '2', server: 'http://x:1' }))).toThrow(/^--server \/ CLEARLY_SERVER: expected HOST:PORT/);
    expect(() => planCheck(argv({ minWorkers: '2', listen: '0s' }))).toThrow('--listen: the duration must be more than 0, got "0s"');
    expect(() => planCheck(argv({ minWorkers: '2', timeout: 'x' }))).toThrow(/^--timeout: expected a duration/);
  });
});

describe('asksJson: --json read before yargs has parsed (a usage error)', () => {
  it('the flag, its negation, the env var; the last word wins; nothing after --', () => {
    expect(asksJson(['--bogus', '--json'], {})).toBe(true);
    expect(asksJson(['--json', '--no-json'], {})).toBe(false);
    expect(asksJson([], { CLEARLY_JSON: 'true' })).toBe(true);
    expect(asksJson(['--no-json'], { CLEARLY_JSON: 'true' })).toBe(false);
    expect(asksJson(['--', '--json'], {})).toBe(false);
    expect(asksJson(['--jsonx'], {})).toBe(false);
  });
});
