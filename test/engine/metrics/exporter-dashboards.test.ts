/**
 * Every metric and label that celery-exporter's bundled Grafana dashboards and alert rules
 * (celery-mixin, copied into test/fixtures/celery-exporter/ with its licence) query is exposed by
 * clearly with the same type: the "no panel edited" promise, checked name by name against the
 * metric specs (test/integration/metrics.test.ts checks the same against a live scrape).
 */
import { describe, expect, it } from 'vitest';
import { CeleryExporterMetrics } from '../../../src/engine/metrics/celery-exporter.js';
import { allMixinExpressions, familyOf, MIXIN_FILES, mixinExpressions, mixinGroupBy, mixinLabelRefs, mixinMetricNames, mixinSelectors } from '../../helpers/mixin.js';

describe("celery-exporter's dashboards and alerts against clearly's metric set", () => {
  const m = new CeleryExporterMetrics();
  const ours = new Map(m.families().map((f) => [f.spec.name, f.spec]));
  const exprs = allMixinExpressions();

  it('reads expressions from every file', () => {
    for (const f of MIXIN_FILES) expect([f, mixinExpressions(f).length > 0]).toEqual([f, true]);
    expect(exprs.length).toBeGreaterThan(20);
  });

  it('every metric they query is a clearly family of the right type', () => {
    const used = mixinMetricNames(exprs);
    expect(used.size).toBeGreaterThanOrEqual(12);
    for (const name of used) {
      const { family, suffix } = familyOf(name, (f) => ours.has(f));
      const spec = ours.get(family);
      expect([name, spec !== undefined]).toEqual([name, true]);
      if (suffix !== null) expect([name, spec!.type]).toEqual([name, 'histogram']);
      if (name.endsWith('_total')) expect([name, spec!.type]).toEqual([name, 'counter']);
      if (/worker_up|tasks_active|queue_length/.test(name)) expect([name, spec!.type]).toEqual([name, 'gauge']);
    }
  });

  it("every label they select or group by on a metric is one of that metric's labels", () => {
    const selectors = mixinSelectors(exprs);
    for (const { metric, label } of selectors) {
      const spec = ours.get(familyOf(metric, (f) => ours.has(f)).family);
      expect([metric, label, spec?.labelNames.includes(label)]).toEqual([metric, label, true]);
    }
    const grouped = mixinGroupBy(exprs);
    for (const { label } of grouped) expect([label, [...ours.values()].some((s) => s.labelNames.includes(label))]).toEqual([label, true]);
    expect(selectors.length + grouped.length).toBeGreaterThan(30);
  });

  it('every label their legends and alert annotations print is a label of a family', () => {
    const refs = mixinLabelRefs();
    expect(refs).toEqual(['exception', 'hostname', 'name', 'queue_name']);
    for (const l of refs) expect([l, [...ours.values()].some((s) => s.labelNames.includes(l))]).toEqual([l, true]);
  });
});
