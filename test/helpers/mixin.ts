/**
 * celery-exporter's bundled Grafana dashboards and alert rules (celery-mixin, copied into
 * test/fixtures/celery-exporter/ with its licence), read as what they query: the PromQL
 * expressions, the celery_ metric names in them, the labels their positive matchers select on,
 * and the labels they group by. Used against clearly's metric specs and against a live scrape.
 */
import { readFileSync } from 'node:fs';
import { FIXTURES } from './fixtures.js';

const DIR = `${FIXTURES}celery-exporter/`;
export const MIXIN_FILES = ['celery-tasks-by-task.json', 'celery-tasks-overview.json', 'celery-tasks.json', 'prometheus_alerts.yaml'] as const;
/** Labels Prometheus adds from the scrape target (a Kubernetes service, a multi-cluster setup), not the exporter; and `le`. */
export const TARGET_LABELS: ReadonlySet<string> = new Set(['job', 'namespace', 'instance', 'pod', 'service', 'container', 'cluster', 'le']);

/** The PromQL expressions in a dashboard (targets' expr, template queries) or an alert file. */
export function mixinExpressions(file: string): string[] {
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

export const allMixinExpressions = (): string[] => MIXIN_FILES.flatMap(mixinExpressions);

/** Every celery_ name the expressions query (histograms as `_bucket`/`_count`/`_sum`). */
export function mixinMetricNames(exprs: readonly string[]): Set<string> {
  return new Set(exprs.flatMap((e) => [...e.matchAll(/\b(celery_[a-z_]+)/g)].map((x) => x[1]!)));
}

/**
 * Each (metric, label) a positive matcher selects on. A negative matcher (queue_name!~"None" on
 * celery_worker_up) also holds for a series without the label, in celery-exporter as here.
 */
export function mixinSelectors(exprs: readonly string[]): { metric: string; label: string }[] {
  const out: { metric: string; label: string }[] = [];
  for (const e of exprs) {
    for (const sel of e.matchAll(/\b(celery_[a-z_]+)\s*\{([^}]*)\}/g)) {
      for (const x of sel[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) {
        if (!x[2]!.startsWith('!') && !TARGET_LABELS.has(x[1]!)) out.push({ metric: sel[1]!, label: x[1]! });
      }
    }
  }
  return out;
}

/** Each label an expression groups by, with the celery_ metrics of that expression. */
export function mixinGroupBy(exprs: readonly string[]): { label: string; metrics: string[] }[] {
  const out: { label: string; metrics: string[] }[] = [];
  for (const e of exprs) {
    const metrics = [...mixinMetricNames([e])];
    for (const by of e.matchAll(/\bby\s*\(([^)]*)\)/g)) {
      for (const l of by[1]!.split(',').map((x) => x.trim()).filter((x) => x !== '' && !TARGET_LABELS.has(x))) out.push({ label: l, metrics });
    }
  }
  return out;
}

/** The type a family queried under `name` must have: `_bucket`/`_count`/`_sum` of a histogram, `_total` a counter. */
export function familyOf(name: string, known: (family: string) => boolean): { family: string; suffix: string | null } {
  const hist = /^(.*)_(bucket|count|sum)$/.exec(name);
  if (hist !== null && known(hist[1]!)) return { family: hist[1]!, suffix: hist[2]! };
  return { family: name, suffix: null };
}

/** Labels the panels' legends (`{{ name }}`) and the alerts' annotations (`{{ $labels.hostname }}`) print. */
export function mixinLabelRefs(): string[] {
  const refs = new Set<string>();
  for (const f of MIXIN_FILES) {
    const text = readFileSync(DIR + f, 'utf8');
    for (const l of text.matchAll(/"legendFormat": "([^"]*)"/g)) for (const x of l[1]!.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) refs.add(x[1]!);
    for (const x of text.matchAll(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) refs.add(x[1]!);
  }
  return [...refs].filter((l) => !TARGET_LABELS.has(l)).sort();
}
