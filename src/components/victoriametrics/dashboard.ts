import { BackendHealthPanels } from '../../kit/stack-health';
import { GridLayout, statPanel, timeseriesPanel } from '../../kit/presets';
import type { VictoriaMetricsBackend } from './rules';

/** Series seen in the last hour: VictoriaMetrics' own measure of active series (its dashboards use the same cache). */
const ACTIVE_SERIES = 'vm_cache_entries{type="storage/hour_metric_ids"}';
/** Failed evaluations of alerting and recording rules; a file without recording rules has no series of the second. */
const RULE_ERRORS = (range: string) =>
  `(sum(increase(vmalert_alerting_rules_errors_total[${range}])) or vector(0)) + (sum(increase(vmalert_recording_rules_errors_total[${range}])) or vector(0))`;

/** VictoriaMetrics on the stack-health dashboard: series, ingestion, disk, vmagent's queue and vmalert's rule evaluation. */
export function victoriaMetricsHealthPanels(backend: VictoriaMetricsBackend): BackendHealthPanels {
  return {
    tag: 'victoriametrics',
    description: 'Whether the metrics pipeline itself is healthy: targets, scrapes, VictoriaMetrics storage, vmagent remote write and vmalert rule evaluation.',
    stats: (grid: GridLayout) => [
      statPanel({ title: 'Active series (1h)', targets: [{ expr: `sum(${ACTIVE_SERIES})`, instant: true }], gridPos: grid.place(6, 4) }),
      statPanel({
        title: 'Storage volume used',
        unit: 'percentunit',
        targets: [{ expr: 'max(1 - vm_free_disk_space_bytes / vm_total_disk_space_bytes)', instant: true }],
        redFrom: 0.9,
        gridPos: grid.place(6, 4),
      }),
      statPanel({ title: 'Rule evaluation errors (1h)', targets: [{ expr: RULE_ERRORS('1h'), instant: true }], redFrom: 1, gridPos: grid.place(6, 4) }),
    ],
    series: (grid: GridLayout) => [
      timeseriesPanel({
        title: 'Active series (1h) by storage node',
        targets: [{ expr: `sum by (job, instance) (${ACTIVE_SERIES})`, legend: '{{job}} {{instance}}' }],
        gridPos: grid.place(12, 8),
      }),
      timeseriesPanel({
        title: 'Rows ingested per second',
        unit: 'ops',
        targets: [{ expr: 'sum by (job, instance) (rate(vm_rows_added_to_storage_total[$__rate_interval]))', legend: '{{job}} {{instance}}' }],
        gridPos: grid.place(12, 8),
      }),
      timeseriesPanel({
        title: 'Free disk space',
        unit: 'bytes',
        targets: [{ expr: 'min by (job, instance) (vm_free_disk_space_bytes)', legend: '{{job}} {{instance}}' }],
        gridPos: grid.place(12, 8),
      }),
      timeseriesPanel({
        title: 'vmagent remote-write queue',
        unit: 'bytes',
        targets: [{ expr: 'sum by (instance, url) (vmagent_remotewrite_pending_data_bytes)', legend: '{{instance}} {{url}}' }],
        gridPos: grid.place(12, 8),
      }),
      timeseriesPanel({
        title: 'Rule evaluation errors',
        targets: [
          { expr: 'sum by (group) (increase(vmalert_alerting_rules_errors_total[$__rate_interval]))', legend: '{{group}} alerting' },
          { expr: 'sum by (group) (increase(vmalert_recording_rules_errors_total[$__rate_interval]))', legend: '{{group}} recording' },
        ],
        gridPos: grid.place(12, 8),
      }),
      timeseriesPanel({
        title: 'Rule group evaluation duration (p99)',
        unit: 's',
        targets: [{ expr: 'max by (group) (vmalert_iteration_duration_seconds{quantile="0.99"})', legend: '{{group}}' }],
        gridPos: grid.place(12, 8),
      }),
      ...(backend === 'victoriametrics-cluster'
        ? [
            timeseriesPanel({
              title: 'vmstorage nodes reachable from vminsert',
              targets: [{ expr: 'min by (addr) (vm_rpc_vmstorage_is_reachable)', legend: '{{addr}}' }],
              gridPos: grid.place(12, 8),
            }),
            timeseriesPanel({
              title: 'vmselect request errors to vmstorage',
              targets: [
                { expr: 'sum by (addr) (increase(vm_request_errors_total{name="vmselect", type="rpcClient"}[$__rate_interval]))', legend: '{{addr}}' },
              ],
              gridPos: grid.place(12, 8),
            }),
          ]
        : []),
    ],
  };
}
