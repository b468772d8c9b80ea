/**
 * Every metric and label that celery-exporter's bundled Grafana dashboards and alert rules
 * (celery-mixin, copied into test/fixtures/celery-exporter/ with its licence) query is exposed by
 * clearly with the same type: the "no panel edited" promise, checked name by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CeleryExporterMetrics } from '../../../src/engine/metrics/celery-exporter.js';
import { FIXTURES } from '../../helpers/fixtures.js';

const DIR = `${FIXTURES}celery-exporter/`;
const FILES = ['celery-tasks-by-task.json', 'celery-tasks-overview.json', 'celery-tasks.json', 'prometheus_alerts.yaml'];
/** Labels Prometheus adds from the scrape target (a Kubernetes service, a multi-cluster setup), not the exporter. */
const TARGET_LABELS = new Set(['job', 'namespace', 'instance', 'pod', 'service', 'container', 'cluster', 'le']);

/** The PromQL expressions in a dashboard (targets' expr, template queries) or an alert file. */
function expressions(file: string): string[] {
  const text = readFileSync(DIR + file, 'utf8');
  if (file.endsWith('.yaml')) return [...text.matchAll(/"expr": \|\n((?:\s{6}.*\n)+)/g)].map((m) => m[1]!);
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'expr' || k === 'query' || k === 'definition') && typeof x === 'string') out.push(x);
        else if (k === 'query' && x !== null && typeof x === 'object' && typeof (x as { query?: unknown }).query === 'string') out.push((x as { query: string }).query);
        else walk(x);
      }
    }
  };
  walk(JSON.parse(text));
  return out;
}

describe("celery-exporter's dashboards and alerts against clearly's metric set", () => {
  const m = new CeleryExporterMetrics();
  const ours = new Map(m.families().map((f) => [f.spec.name, f.spec]));
  const exprs = FILES.flatMap(expressions);

  it('reads expressions from every file', () => {
    for (const f of FILES) expect([f, expressions(f).length > 0]).toEqual([f, true]);
    expect(exprs.length).toBeGreaterThan(20);
  });

  it('every metric they query is a clearly family of the right type', () => {
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(celery_[a-z_]+)/g)].map((x) => x[1]!)));
    expect(used.size).toBeGreaterThanOrEqual(12);
    for (const name of used) {
      const hist = /^(.*)_(bucket|count|sum)$/.exec(name);
      const family = ours.get(name) ?? (hist ? ours.get(hist[1]!) : undefined);
      expect([name, family !== undefined]).toEqual([name, true]);
      if (hist && ours.get(hist[1]!) !== undefined) expect([name, family!.type]).toEqual([name, 'histogram']);
      if (name.endsWith('_total')) expect([name, family!.type]).toEqual([name, 'counter']);
      if (/worker_up|tasks_active|queue_length/.test(name)) expect([name, family!.type]).toEqual([name, 'gauge']);
    }
  });

  it('every label they select or group by on a metric is one of that metric\'s labels', () => {
    let checked = 0;
    for (const e of exprs) {
      for (const sel of e.matchAll(/\b(celery_[a-z_]+)\s*\{([^}]*)\}/g)) {
        const name = sel[1]!;
        const spec = ours.get(name) ?? ours.get(name.replace(/_(bucket|count|sum)$/, ''));
        // A negative matcher (queue_name!~"None" on celery_worker_up) also holds for a label the
        // series lacks, in celery-exporter as here: only positive matchers need the label.
        const labels = [...sel[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].filter((x) => !x[2]!.startsWith('!')).map((x) => x[1]!);
        for (const l of labels) {
          if (TARGET_LABELS.has(l)) continue;
          expect([name, l, spec?.labelNames.includes(l)]).toEqual([name, l, true]);
          checked++;
        }
      }
      for (const by of e.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const l of by[1]!.split(',').map((x) => x.trim()).filter((x) => x !== '' && !TARGET_LABELS.has(x))) {
          expect([l, [...ours.values()].some((s) => s.labelNames.includes(l))]).toEqual([l, true]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
