import { metricSelectors, promqlErrors } from '../../../test/support/query-parsers';
import { otelCollectorDashboard } from './dashboard';
import { otelCollectorRules } from './rules';

const dashboard = otelCollectorDashboard().build();
const panels: any[] = dashboard.panels as any[];
const exprs: string[] = panels.flatMap((p) => (p.targets ?? []).map((t: any) => t.expr));
const ruleExprs = otelCollectorRules().rules.map((r) => r.expr);

/**
 * Jaeger v2 is itself a collector build and exposes the same otelcol_* names
 * under job "jaeger": a selector without a job matcher would add Jaeger's
 * spans to the collector's and double-count.
 */
test.each([...exprs, ...ruleExprs])('every otelcol_* selector says whose it is (collector or Jaeger): %s', (expr) => {
  const selectors = metricSelectors(expr).filter((s) => s.metric.startsWith('otelcol_') || s.labels.includes('__name__'));
  for (const s of selectors) expect({ expr, metric: s.metric, job: s.labels.includes('job') }).toEqual({ expr, metric: s.metric, job: true });
});

test('the dashboard covers every signal accepted, refused and sent, the queue, failures and both backends', () => {
  const metrics = new Set(exprs.flatMap((e) => metricSelectors(e).map((s) => s.metric)));
  for (const signal of ['spans', 'metric_points', 'log_records']) {
    for (const stage of ['receiver_accepted', 'receiver_refused', 'exporter_sent', 'exporter_send_failed', 'exporter_enqueue_failed']) {
      expect(metrics).toContain(`otelcol_${stage}_${signal}_total`);
    }
  }
  for (const m of ['otelcol_exporter_queue_size', 'otelcol_exporter_queue_capacity', 'loki_distributor_lines_received_total']) {
    expect(metrics).toContain(m);
  }
  expect(exprs.some((e) => e.includes('job="jaeger"'))).toBe(true);
});

test('every query parses with the Prometheus grammar', () => {
  for (const expr of exprs) expect({ expr, errors: promqlErrors(expr) }).toEqual({ expr, errors: [] });
});
