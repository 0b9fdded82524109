import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, statPanel, timeseriesPanel } from '../kit/presets';
import { SAGA_RECORD } from '../alerting/platform-rules';

/**
 * The order saga: step rate and duration, and orders stalled after
 * PAYMENT_CREATED, the signal of an order that failed while its cart stayed full.
 */
export function sagaDashboard(opts: { namespaces: readonly string[] }): DashboardBuilder {
  const grid = new GridLayout();
  const ns = `namespace=~"${opts.namespaces.join('|') || '.+'}"`;
  // Payment created but neither completed nor compensated within 30 minutes (the SagaOrderStalled rule).
  const stalled =
    `clamp_min(sum(increase(saga_steps_total{${ns}, step="PAYMENT_CREATED"}[30m])) - ` +
    `sum(increase(saga_steps_total{${ns}, step=~"COMPLETED|COMPENSATION_COMPLETE"}[30m])), 0)`;
  return newDashboard({
    uid: 'saga',
    title: 'Order saga',
    tags: ['services', 'saga'],
    description: 'saga_steps_total and saga_step_duration_seconds by step (p95 from the saga group\'s recorded rates); orders stalled after PAYMENT_CREATED.',
  })
    .withPanel(
      statPanel({
        title: 'Orders stalled after PAYMENT_CREATED (30m)',
        targets: [{ expr: stalled, instant: true }],
        redFrom: 1,
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Stalled orders over time',
        targets: [{ expr: stalled, legend: 'stalled' }],
        gridPos: grid.place(16, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Saga steps per second by step',
        unit: 'ops',
        targets: [{ expr: `sum by (step) (rate(saga_steps_total{${ns}}[$__rate_interval]))`, legend: '{{step}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Saga step p95 duration by step',
        unit: 's',
        targets: [
          {
            // The recorded 5-minute rates of the saga services' buckets (the saga rule group), not the raw histogram.
            expr: `histogram_quantile(0.95, sum by (le, step) (${SAGA_RECORD.stepDurationBuckets}{${ns}}))`,
            legend: '{{step}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
}
