import { BackendHealthPanels } from '../../kit/stack-health';
import { GridLayout, statPanel, timeseriesPanel } from '../../kit/presets';

/** Prometheus on the stack-health dashboard: TSDB size and rule failures. */
export const prometheusHealthPanels: BackendHealthPanels = {
  tag: 'prometheus',
  description: 'Whether the metrics pipeline itself is healthy: targets, scrapes, TSDB and rule evaluation.',
  stats: (grid: GridLayout) => [
    statPanel({
      title: 'Head series',
      targets: [{ expr: 'sum(prometheus_tsdb_head_series)', instant: true }],
      gridPos: grid.place(6, 4),
    }),
    statPanel({
      title: 'Storage used of retention size',
      unit: 'percentunit',
      targets: [{ expr: 'max(prometheus_tsdb_storage_blocks_bytes / (prometheus_tsdb_retention_limit_bytes > 0))', instant: true }],
      redFrom: 0.9,
      gridPos: grid.place(6, 4),
    }),
    statPanel({
      title: 'Rule evaluation failures (1h)',
      targets: [{ expr: 'sum(increase(prometheus_rule_evaluation_failures_total[1h])) or vector(0)', instant: true }],
      redFrom: 1,
      gridPos: grid.place(6, 4),
    }),
  ],
  series: (grid: GridLayout) => [
    timeseriesPanel({
      title: 'TSDB head series',
      targets: [{ expr: 'prometheus_tsdb_head_series', legend: '{{instance}}' }],
      gridPos: grid.place(12, 8),
    }),
    timeseriesPanel({
      title: 'Samples appended per second',
      unit: 'ops',
      targets: [{ expr: 'rate(prometheus_tsdb_head_samples_appended_total[$__rate_interval])', legend: '{{instance}}' }],
      gridPos: grid.place(12, 8),
    }),
    timeseriesPanel({
      title: 'Rule evaluation failures',
      targets: [
        {
          expr: 'sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[$__rate_interval]))',
          legend: '{{rule_group}}',
        },
      ],
      gridPos: grid.place(12, 8),
    }),
    timeseriesPanel({
      title: 'Rule group evaluation duration',
      unit: 's',
      targets: [{ expr: 'max by (rule_group) (prometheus_rule_group_last_duration_seconds)', legend: '{{rule_group}}' }],
      gridPos: grid.place(12, 8),
    }),
  ],
};
