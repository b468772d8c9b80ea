import { describe, expect, it } from 'vitest';
import { makePalette } from '../../src/format/colors.js';
import { formatDuration, renderStats, statsRecord, type StatsRecord } from '../../src/format/stats-text.js';

const plain = makePalette(false);

const STATS: StatsRecord = {
  events_processed: 1234,
  messages_received: 1300,
  tasks_processed: 56,
  tasks_stored: 50,
  workers_stored: 2,
  tasks_evicted: 6,
  workers_evicted: 0,
  decode_errors: 1,
  events_per_second: 12.345,
  consumer_lag_seconds: 0.1234,
  clients: 3,
  records_dropped: 7,
  broker: 'amqp://guest:****@127.0.0.1:5672//',
  broker_state: 'connected',
  uptime_seconds: 3725.9,
  max_tasks: 10000,
  max_workers: 100,
  backend: 'redis://127.0.0.1:6379/1',
  backend_state: 'connected',
  results_fetched: 4,
  store: 'sqlite /var/lib/clearly/store.sqlite',
  store_state: 'ok',
  store_tasks: 123456,
  store_bytes: 150 * 1024 * 1024,
  store_backlog: 12,
  store_dropped: 0,
  store_pruned: 789,
  store_written: 4000,
  store_backlog_max: 200_000,
  workers_without_events: [],
  task_sent_missing: false,
  insecure: false,
  redact: 'password|token',
  tls: true,
  auth: 'tokens',
};

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [125, '2m 05s'],
    [3725, '1h 02m'],
    [90000, '1d 1h'],
  ])('%s -> %s', (s, text) => expect(formatDuration(s)).toBe(text));
});

describe('renderStats', () => {
  it('prints aligned key/value lines', () => {
    expect(renderStats(STATS, plain)).toEqual([
      'broker          amqp://guest:****@127.0.0.1:5672// (connected)',
      'result backend  redis://127.0.0.1:6379/1 (connected)',
      'uptime          1h 02m',
      'events          1234 processed, 12.3/s over the last minute, lag 0.12s',
      'messages        1300 received, 1 undecodable',
      'tasks           56 entries created, 50 stored (max 10000), 6 evicted',
      'workers         2 stored (max 100), 0 evicted',
      'results         4 read from the result backend',
      'store           sqlite /var/lib/clearly/store.sqlite (ok): 123456 tasks, 150.0 MiB, 12 waiting to be written, 789 pruned by retention',
      'clients         3 connected, 7 records dropped for slow clients',
      'events off      none seen',
      'security        TLS, tokens required, redacting /password|token/',
    ]);
  });

  it('names the workers that send no events, and publishers without task-sent', () => {
    expect(renderStats({ ...STATS, workers_without_events: ['w2@h (task-events-off)'], task_sent_missing: true }, plain).find((l) => l.startsWith('events off'))).toBe(
      'events off      w2@h (task-events-off), publishers send no task-sent (task_send_sent_event = True) (start them with -E, or clearly enable-events)',
    );
  });

  it('says when there is no store, and when the store fails and changes were lost', () => {
    expect(renderStats({ ...STATS, store: 'memory', store_state: 'none' }, plain)[8]).toBe('store           memory (nothing kept across restarts)');
    expect(renderStats({ ...STATS, store_state: 'failing', store_dropped: 5, store_bytes: -1 }, plain)[8]).toBe(
      'store           sqlite /var/lib/clearly/store.sqlite (failing): 123456 tasks, size unknown, 12 waiting to be written (held, up to 200000), 5 changes could not be kept, 789 pruned by retention',
    );
  });

  it('says "none" for no result backend and shows a reconnecting broker', () => {
    const lines = renderStats({ ...STATS, backend: '', backend_state: 'none', broker_state: 'reconnecting' }, plain);
    expect(lines[0]).toBe('broker          amqp://guest:****@127.0.0.1:5672// (reconnecting)');
    expect(lines[1]).toBe('result backend  none');
  });

  it('colours a broker that is not connected as a warning', () => {
    const colour = makePalette(true);
    const lines = renderStats({ ...STATS, broker_state: 'reconnecting' }, colour);
    expect(lines[0]).toContain(colour.warn('reconnecting'));
    expect(lines[0]).not.toBe('broker          amqp://guest:****@127.0.0.1:5672// (reconnecting)');
  });
});

describe('renderStats: the security line', () => {
  const line = (s: Partial<StatsRecord>): string | undefined => renderStats({ ...STATS, ...s }, makePalette(false)).find((l) => l.startsWith('security'));
  it('says INSECURE first when --insecure let it listen openly, and when redaction is off', () => {
    expect(line({ insecure: true, tls: false, auth: 'none', redact: '' })).toBe('security        INSECURE (--insecure): plaintext, no tokens, redaction off');
    expect(line({})).toBe('security        TLS, tokens required, redacting /password|token/');
  });
  it('fills the fields an older server leaves out as "not protected"', () => {
    const r = statsRecord({});
    expect([r.insecure, r.tls, r.auth, r.redact]).toEqual([false, false, 'none', '']);
  });
});
