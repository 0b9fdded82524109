import { AlertTests } from '../../kit/alert-tests';

const VMAGENT = { job: 'vmagent', instance: 'localhost:8429' };
const QUEUE = { path: '/vmagent-data/persistent-queue/1_6C1A9B0E5B4D2F11', name: '1:secret-url' };
const VMALERT = { job: 'vmalert', instance: '10.0.0.7:8880' };

/** `{a="b", ...}` from labels, for promtool's input series. */
const sel = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

export const victoriaMetricsAlertTests: AlertTests = {
  group: 'victoriametrics-self-monitoring',
  cases: [
    {
      name: 'VictoriaMetricsStorageReadOnly fires after a minute read-only, only for that node',
      series: [
        { series: `vm_storage_is_read_only${sel({ job: 'vmstorage', instance: '10.0.1.1:8482', path: '/storage' })}`, values: '0x5 1x10' },
        { series: `vm_storage_is_read_only${sel({ job: 'vmstorage', instance: '10.0.1.2:8482', path: '/storage' })}`, values: '0x15' },
      ],
      checks: [
        // Read-only from minute 6: pending then, firing from 7m.
        { at: '6m', alert: 'VictoriaMetricsStorageReadOnly', firing: [] },
        { at: '8m', alert: 'VictoriaMetricsStorageReadOnly', firing: [{ severity: 'critical', job: 'vmstorage', instance: '10.0.1.1:8482' }] },
      ],
    },
    {
      name: 'VictoriaMetricsDiskSpaceLow fires below 10% free for 30 minutes, silent at 20%',
      series: [
        { series: `vm_free_disk_space_bytes${sel({ job: 'victoriametrics', instance: 'a', path: '/storage' })}`, values: '5x60' },
        { series: `vm_total_disk_space_bytes${sel({ job: 'victoriametrics', instance: 'a', path: '/storage' })}`, values: '100x60' },
        { series: `vm_free_disk_space_bytes${sel({ job: 'victoriametrics', instance: 'b', path: '/storage' })}`, values: '20x60' },
        { series: `vm_total_disk_space_bytes${sel({ job: 'victoriametrics', instance: 'b', path: '/storage' })}`, values: '100x60' },
      ],
      checks: [
        { at: '20m', alert: 'VictoriaMetricsDiskSpaceLow', firing: [] },
        { at: '45m', alert: 'VictoriaMetricsDiskSpaceLow', firing: [{ severity: 'warning', job: 'victoriametrics', instance: 'a' }] },
      ],
    },
    {
      name: 'VictoriaMetricsTooManySlowInserts fires at 10% slow inserts for 15 minutes, silent at 1%',
      series: [
        { series: `vm_slow_row_inserts_total${sel({ job: 'vmstorage', instance: 'a' })}`, values: '0+10x40' },
        { series: `vm_rows_added_to_storage_total${sel({ job: 'vmstorage', instance: 'a' })}`, values: '0+100x40' },
        { series: `vm_slow_row_inserts_total${sel({ job: 'vmstorage', instance: 'b' })}`, values: '0+1x40' },
        { series: `vm_rows_added_to_storage_total${sel({ job: 'vmstorage', instance: 'b' })}`, values: '0+100x40' },
      ],
      checks: [
        { at: '10m', alert: 'VictoriaMetricsTooManySlowInserts', firing: [] },
        { at: '25m', alert: 'VictoriaMetricsTooManySlowInserts', firing: [{ severity: 'warning', job: 'vmstorage', instance: 'a' }] },
      ],
    },
    {
      name: 'VictoriaMetricsRowsRejected fires after 15 minutes of ignored rows, per reason, not on a flat counter',
      series: [
        { series: `vm_rows_ignored_total${sel({ job: 'victoriametrics', instance: 'a', reason: 'too_many_labels' })}`, values: '0x5 5+5x30' },
        { series: `vm_rows_ignored_total${sel({ job: 'victoriametrics', instance: 'a', reason: 'big_timestamp' })}`, values: '0x35' },
      ],
      checks: [
        { at: '15m', alert: 'VictoriaMetricsRowsRejected', firing: [] },
        {
          at: '30m',
          alert: 'VictoriaMetricsRowsRejected',
          firing: [{ severity: 'warning', job: 'victoriametrics', instance: 'a', reason: 'too_many_labels' }],
        },
      ],
    },
    {
      name: 'VictoriaMetricsRestarting fires on the third restart within an hour, not on two',
      series: [
        { series: `vm_app_start_timestamp${sel(VMAGENT)}`, values: '100x9 200x10 300x10 400x10' },
        { series: `vm_app_start_timestamp${sel({ job: 'vmalert', instance: 'b' })}`, values: '100x40' },
      ],
      checks: [
        { at: '25m', alert: 'VictoriaMetricsRestarting', firing: [] },
        { at: '35m', alert: 'VictoriaMetricsRestarting', firing: [{ severity: 'warning', ...VMAGENT }] },
      ],
    },
  ],
};

export const victoriaMetricsClusterAlertTests: AlertTests = {
  group: 'victoriametrics-cluster-self-monitoring',
  cases: [
    {
      name: 'VmInsertStorageUnreachable fires after 5 minutes for the unreachable vmstorage only',
      series: [
        {
          series: `vm_rpc_vmstorage_is_reachable${sel({ job: 'vminsert', instance: '10.0.2.1:8480', name: 'vminsert', addr: 'vmstorage-1.vmstorage:8400' })}`,
          values: '1x5 0x20',
        },
        {
          series: `vm_rpc_vmstorage_is_reachable${sel({ job: 'vminsert', instance: '10.0.2.1:8480', name: 'vminsert', addr: 'vmstorage-0.vmstorage:8400' })}`,
          values: '1x25',
        },
      ],
      checks: [
        { at: '10m', alert: 'VmInsertStorageUnreachable', firing: [] },
        {
          at: '12m',
          alert: 'VmInsertStorageUnreachable',
          firing: [{ severity: 'critical', job: 'vminsert', instance: '10.0.2.1:8480', addr: 'vmstorage-1.vmstorage:8400' }],
        },
      ],
    },
    {
      name: 'VmSelectStorageErrors fires after 15 minutes of RPC errors to one vmstorage, not on a flat counter',
      series: [
        {
          series: `vm_request_errors_total${sel({ job: 'vmselect', instance: '10.0.3.1:8481', action: 'search', type: 'rpcClient', name: 'vmselect', addr: 'vmstorage-1.vmstorage:8401' })}`,
          values: '0x5 1+1x30',
        },
        {
          series: `vm_request_errors_total${sel({ job: 'vmselect', instance: '10.0.3.1:8481', action: 'search', type: 'rpcClient', name: 'vmselect', addr: 'vmstorage-0.vmstorage:8401' })}`,
          values: '0x35',
        },
      ],
      checks: [
        { at: '10m', alert: 'VmSelectStorageErrors', firing: [] },
        {
          at: '30m',
          alert: 'VmSelectStorageErrors',
          firing: [{ severity: 'warning', job: 'vmselect', instance: '10.0.3.1:8481', addr: 'vmstorage-1.vmstorage:8401' }],
        },
      ],
    },
  ],
};

export const vmagentAlertTests: AlertTests = {
  group: 'vmagent-self-monitoring',
  cases: [
    {
      name: 'VmAgentRemoteWriteQueueGrowing fires when a large queue keeps growing for 15 minutes, not when it drains',
      series: [
        { series: `vmagent_remotewrite_pending_data_bytes${sel({ ...VMAGENT, path: QUEUE.path, url: '1:secret-url' })}`, values: '0+10000000x60' },
        { series: `vmagent_remotewrite_pending_data_bytes${sel({ ...VMAGENT, path: '/vmagent-data/persistent-queue/2_B', url: '2:secret-url' })}`, values: '500000000-5000000x60' },
      ],
      checks: [
        // Above 100 MiB from minute 11: pending until 26m.
        { at: '20m', alert: 'VmAgentRemoteWriteQueueGrowing', firing: [] },
        { at: '35m', alert: 'VmAgentRemoteWriteQueueGrowing', firing: [{ severity: 'warning', ...VMAGENT, path: QUEUE.path, url: '1:secret-url' }] },
      ],
    },
    {
      name: 'VmAgentPersistentQueueFilling fires at 80% of the buffer volume for 10 minutes, silent at 10%',
      series: [
        { series: `vm_persistentqueue_bytes_pending${sel({ ...VMAGENT, ...QUEUE })}`, values: '80x30' },
        { series: `vm_persistentqueue_free_disk_space_bytes${sel({ ...VMAGENT, ...QUEUE })}`, values: '20x30' },
        { series: `vm_persistentqueue_bytes_pending${sel({ job: 'vmagent', instance: 'b', ...QUEUE })}`, values: '10x30' },
        { series: `vm_persistentqueue_free_disk_space_bytes${sel({ job: 'vmagent', instance: 'b', ...QUEUE })}`, values: '90x30' },
      ],
      checks: [
        { at: '5m', alert: 'VmAgentPersistentQueueFilling', firing: [] },
        { at: '15m', alert: 'VmAgentPersistentQueueFilling', firing: [{ severity: 'critical', ...VMAGENT, ...QUEUE }] },
      ],
    },
    {
      name: 'VmAgentDroppingData fires at once on buffer overflow or rejected blocks, not on flat counters',
      series: [
        { series: `vm_persistentqueue_bytes_dropped_total${sel({ job: 'vmagent', instance: 'a', ...QUEUE })}`, values: '0x10 100+100x10' },
        { series: `vmagent_remotewrite_packets_dropped_total${sel({ job: 'vmagent', instance: 'b', url: '1:secret-url' })}`, values: '0x10 1+1x10' },
        { series: `vm_persistentqueue_bytes_dropped_total${sel({ job: 'vmagent', instance: 'c', ...QUEUE })}`, values: '0x20' },
        { series: `vmagent_remotewrite_packets_dropped_total${sel({ job: 'vmagent', instance: 'c', url: '1:secret-url' })}`, values: '0x20' },
      ],
      checks: [
        { at: '10m', alert: 'VmAgentDroppingData', firing: [] },
        {
          at: '15m',
          alert: 'VmAgentDroppingData',
          firing: [
            { severity: 'critical', job: 'vmagent', instance: 'a' },
            { severity: 'critical', job: 'vmagent', instance: 'b' },
          ],
        },
      ],
    },
    {
      name: 'VmAgentRemoteWriteErrors fires after 15 minutes of retries, not on a flat counter',
      series: [
        { series: `vmagent_remotewrite_retries_count_total${sel({ ...VMAGENT, url: '1:secret-url' })}`, values: '0x5 1+1x30' },
        { series: `vmagent_remotewrite_retries_count_total${sel({ ...VMAGENT, url: '2:secret-url' })}`, values: '0x35' },
      ],
      checks: [
        { at: '10m', alert: 'VmAgentRemoteWriteErrors', firing: [] },
        { at: '30m', alert: 'VmAgentRemoteWriteErrors', firing: [{ severity: 'warning', ...VMAGENT, url: '1:secret-url' }] },
      ],
    },
  ],
};

export const vmalertAlertTests: AlertTests = {
  group: 'vmalert-self-monitoring',
  cases: [
    {
      name: 'VmAlertRuleEvaluationErrors fires after 15 minutes for the failing alerting and recording groups only',
      series: [
        {
          series: `vmalert_alerting_rules_errors_total${sel({ ...VMALERT, alertname: 'A', group: 'g1', file: '/etc/vmalert/rules/g1.yaml', id: '1' })}`,
          values: '0x5 1+1x30',
        },
        {
          series: `vmalert_recording_rules_errors_total${sel({ ...VMALERT, recording: 'r:x:rate5m', group: 'g2', file: '/etc/vmalert/rules/g2.yaml', id: '2' })}`,
          values: '0x5 1+1x30',
        },
        {
          series: `vmalert_alerting_rules_errors_total${sel({ ...VMALERT, alertname: 'B', group: 'g3', file: '/etc/vmalert/rules/g3.yaml', id: '3' })}`,
          values: '0x35',
        },
      ],
      checks: [
        { at: '10m', alert: 'VmAlertRuleEvaluationErrors', firing: [] },
        {
          at: '30m',
          alert: 'VmAlertRuleEvaluationErrors',
          firing: [
            { severity: 'critical', ...VMALERT, group: 'g1', file: '/etc/vmalert/rules/g1.yaml' },
            { severity: 'critical', ...VMALERT, group: 'g2', file: '/etc/vmalert/rules/g2.yaml' },
          ],
        },
      ],
    },
    {
      name: 'VmAlertNotifierErrors fires after 15 minutes of failed sends, not on a flat counter',
      series: [
        { series: `vmalert_alerts_send_errors_total${sel({ ...VMALERT, addr: 'http://alertmanager-0:9093/api/v2/alerts' })}`, values: '0x5 1+1x30' },
        { series: `vmalert_alerts_send_errors_total${sel({ ...VMALERT, addr: 'http://alertmanager-1:9093/api/v2/alerts' })}`, values: '0x35' },
      ],
      checks: [
        { at: '10m', alert: 'VmAlertNotifierErrors', firing: [] },
        {
          at: '30m',
          alert: 'VmAlertNotifierErrors',
          firing: [{ severity: 'critical', ...VMALERT, addr: 'http://alertmanager-0:9093/api/v2/alerts' }],
        },
      ],
    },
    {
      name: 'VmAlertRemoteWriteErrors fires after 15 minutes of failed writes, not on a flat counter',
      series: [
        { series: `vmalert_remotewrite_errors_total${sel(VMALERT)}`, values: '0x5 1+1x30' },
        { series: `vmalert_remotewrite_errors_total${sel({ job: 'vmalert', instance: 'b' })}`, values: '0x35' },
      ],
      checks: [
        { at: '10m', alert: 'VmAlertRemoteWriteErrors', firing: [] },
        { at: '30m', alert: 'VmAlertRemoteWriteErrors', firing: [{ severity: 'warning', ...VMALERT }] },
      ],
    },
  ],
};
