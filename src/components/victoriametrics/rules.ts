import { RuleGroupSpec } from '../../kit/rule-model';
import type { MetricsConfig } from './config';

/** The VictoriaMetrics backends: the single node, or vminsert, vmselect and vmstorage. */
export type VictoriaMetricsBackend = Exclude<MetricsConfig['backend'], 'prometheus'>;

/**
 * The store, single node or vmstorage: both export the same storage metrics
 * (lib/storage at v1.151.0), so one group serves both. Restarts are counted
 * over every VictoriaMetrics process, vmagent and vmalert included: all of
 * them export `vm_app_start_timestamp`, and an agent cluster's vmagent
 * arrives here through remote write, where no kube-state-metrics of this
 * cluster sees its pod.
 */
function storeRules(): RuleGroupSpec {
  return {
    name: 'victoriametrics-self-monitoring',
    rules: [
      {
        alert: 'VictoriaMetricsStorageReadOnly',
        expr: 'max by (job, instance) (vm_storage_is_read_only) > 0',
        // The store switches itself to read-only below -storage.minFreeDiskSpaceBytes; a minute rules out a scrape racing a cleanup.
        for: '1m',
        severity: 'critical',
        summary: 'VictoriaMetrics storage is read-only: its free disk space is below the minimum.',
        description:
          'The storage on {{ $labels.instance }} (job {{ $labels.job }}) has less free disk space than -storage.minFreeDiskSpaceBytes and refuses new samples; every write is rejected until space is freed.',
      },
      {
        alert: 'VictoriaMetricsDiskSpaceLow',
        expr: 'min by (job, instance) (vm_free_disk_space_bytes / vm_total_disk_space_bytes) < %{ratio}',
        thresholds: { ratio: { value: 0.1, description: 'free bytes as a share of the storage volume, 0-1' } },
        // Disk fills over hours; 30 minutes ignores the dip while a big merge holds both the old and the new parts.
        for: '30m',
        severity: 'warning',
        summary: 'VictoriaMetrics storage volume is almost full.',
        description:
          'Only {{ $value | humanizePercentage }} of the storage volume of {{ $labels.instance }} (job {{ $labels.job }}) is free; once it reaches the minimum free space the store turns read-only and stops accepting samples.',
      },
      {
        alert: 'VictoriaMetricsTooManySlowInserts',
        expr:
          'sum by (job, instance) (rate(vm_slow_row_inserts_total[5m])) / sum by (job, instance) (rate(vm_rows_added_to_storage_total[5m])) > %{ratio}',
        thresholds: { ratio: { value: 0.05, description: 'slow inserts as a share of all rows added, 0-1' } },
        // A burst of new series makes inserts slow for a while; a quarter of an hour means the caches are too small for the working set.
        for: '15m',
        severity: 'warning',
        summary: 'VictoriaMetrics ingestion is slowed by cache misses.',
        description:
          '{{ $value | humanizePercentage }} of the rows added on {{ $labels.instance }} (job {{ $labels.job }}) needed a slow index lookup; ingestion falls behind and queries slow down. Usually too little memory or a high churn of new series.',
      },
      {
        alert: 'VictoriaMetricsRowsRejected',
        expr: 'sum by (job, instance, reason) (increase(vm_rows_ignored_total[5m])) > 0',
        // Every rejected row is lost data, but a single odd sample is not worth a page: 15 minutes means a sender keeps doing it.
        for: '15m',
        severity: 'warning',
        summary: 'VictoriaMetrics is rejecting samples.',
        description:
          '{{ $value | humanize }} rows were ignored in the last 5 minutes on {{ $labels.instance }} (job {{ $labels.job }}), reason {{ $labels.reason }}; those samples are not stored.',
      },
      {
        alert: 'VictoriaMetricsRestarting',
        expr: 'changes(vm_app_start_timestamp[1h]) > %{restarts}',
        thresholds: { restarts: { value: 2, description: 'process restarts within one hour' } },
        severity: 'warning',
        summary: 'A VictoriaMetrics component keeps restarting.',
        description:
          '{{ $labels.job }} on {{ $labels.instance }} restarted {{ $value }} times in the last hour; each restart drops in-memory state (caches, unsent samples of a store without a volume) and leaves a gap.',
      },
    ],
  };
}

/** vminsert and vmselect reach the vmstorage nodes over their own RPC; a broken link halves the cluster silently. */
function clusterRules(): RuleGroupSpec {
  return {
    name: 'victoriametrics-cluster-self-monitoring',
    rules: [
      {
        alert: 'VmInsertStorageUnreachable',
        expr: 'min by (job, instance, addr) (vm_rpc_vmstorage_is_reachable) == 0',
        // A vmstorage pod restarting is unreachable for seconds; 5 minutes is an outage the rerouting has to absorb.
        for: '5m',
        severity: 'critical',
        summary: 'vminsert cannot reach a vmstorage node.',
        description:
          'vminsert {{ $labels.instance }} has not reached vmstorage {{ $labels.addr }} for 5 minutes; its rows go to the other nodes, which carry the extra load, and with replication the data of that node is not replicated.',
      },
      {
        alert: 'VmSelectStorageErrors',
        expr: 'sum by (job, instance, addr) (increase(vm_request_errors_total{name="vmselect", type="rpcClient"}[5m])) > 0',
        // A query may fail once on a restart; 15 minutes of failures means dashboards and rules read partial data.
        for: '15m',
        severity: 'warning',
        summary: 'vmselect fails to query a vmstorage node.',
        description:
          '{{ $value | humanize }} requests from vmselect {{ $labels.instance }} to vmstorage {{ $labels.addr }} failed in the last 5 minutes; query results are partial or fail, and so are the alert rules that read them.',
      },
    ],
  };
}

/**
 * vmagent: scrapes every target and queues samples on disk until the store accepts them. Also what a central
 * Prometheus watches its agent clusters' vmagents with: they scrape themselves and remote-write the result.
 */
export function vmagentRules(): RuleGroupSpec {
  return {
    name: 'vmagent-self-monitoring',
    rules: [
      {
        alert: 'VmAgentRemoteWriteQueueGrowing',
        expr: 'vmagent_remotewrite_pending_data_bytes > %{bytes} and deriv(vmagent_remotewrite_pending_data_bytes[15m]) > 0',
        thresholds: { bytes: { value: 104857600, description: 'bytes waiting in the on-disk queue of one remote-write URL' } },
        // A store restart leaves a backlog that drains in minutes; a queue still growing after 15 minutes does not drain.
        for: '15m',
        severity: 'warning',
        summary: 'vmagent cannot keep up with remote write.',
        description:
          '{{ $labels.instance }} (job {{ $labels.job }}) holds {{ $value | humanize1024 }}B unsent for {{ $labels.url }} and the queue keeps growing; the store is down, slow or refusing writes, and new samples arrive late.',
      },
      {
        alert: 'VmAgentPersistentQueueFilling',
        expr: 'vm_persistentqueue_bytes_pending / (vm_persistentqueue_bytes_pending + vm_persistentqueue_free_disk_space_bytes) > %{ratio}',
        thresholds: {
          ratio: { value: 0.7, description: 'pending bytes as a share of the buffer volume, 0-1 (vmagent drops the oldest data at 0.9)' },
        },
        for: '10m',
        severity: 'critical',
        summary: 'vmagent\'s on-disk buffer is about to overflow.',
        description:
          'The persistent queue {{ $labels.path }} on {{ $labels.instance }} fills {{ $value | humanizePercentage }} of its volume; at -remoteWrite.maxDiskUsagePerURL (90% of the volume) vmagent drops the oldest samples.',
      },
      {
        alert: 'VmAgentDroppingData',
        expr:
          'sum by (job, instance) (increase(vm_persistentqueue_bytes_dropped_total[5m])) > 0 or sum by (job, instance) (increase(vmagent_remotewrite_packets_dropped_total[5m])) > 0',
        // Dropped is lost for good: no waiting.
        severity: 'critical',
        summary: 'vmagent is dropping samples.',
        description:
          '{{ $labels.instance }} (job {{ $labels.job }}) dropped data in the last 5 minutes: its buffer overflowed or the store rejected blocks outright. Those samples are lost.',
      },
      {
        alert: 'VmAgentRemoteWriteErrors',
        expr: 'sum by (job, instance, url) (rate(vmagent_remotewrite_retries_count_total[5m])) > 0',
        // Retries during a store rollout are normal; 15 minutes of them is a store that refuses.
        for: '15m',
        severity: 'warning',
        summary: 'vmagent fails to push to the store.',
        description:
          '{{ $labels.instance }} (job {{ $labels.job }}) has retried remote writes to {{ $labels.url }} for 15 minutes; samples pile up in its on-disk queue.',
      },
    ],
  };
}

/** vmalert: evaluates every rule group and notifies Alertmanager. */
function vmalertRules(): RuleGroupSpec {
  return {
    name: 'vmalert-self-monitoring',
    rules: [
      {
        alert: 'VmAlertRuleEvaluationErrors',
        expr:
          'sum by (job, instance, group, file) (increase(vmalert_alerting_rules_errors_total[5m])) > 0 or sum by (job, instance, group, file) (increase(vmalert_recording_rules_errors_total[5m])) > 0',
        // A failing rule is an alert that cannot fire; 15 minutes rules out a one-off query timeout.
        for: '15m',
        severity: 'critical',
        summary: 'vmalert is failing to evaluate rules.',
        description:
          '{{ $value | humanize }} evaluations in rule group {{ $labels.group }} failed in the last 5 minutes on {{ $labels.instance }}; the alerts in that group cannot fire.',
      },
      {
        alert: 'VmAlertNotifierErrors',
        expr: 'sum by (job, instance, addr) (increase(vmalert_alerts_send_errors_total[5m])) > 0',
        // Alertmanager restarting loses a send or two; 15 minutes means alerts are not being delivered.
        for: '15m',
        severity: 'critical',
        summary: 'vmalert cannot deliver alerts to Alertmanager.',
        description:
          '{{ $value | humanize }} sends from {{ $labels.instance }} to {{ $labels.addr }} failed in the last 5 minutes; firing alerts are not reaching any receiver.',
      },
      {
        alert: 'VmAlertRemoteWriteErrors',
        expr: 'sum by (job, instance) (increase(vmalert_remotewrite_errors_total[5m])) > 0',
        for: '15m',
        severity: 'warning',
        summary: 'vmalert cannot write recording rules and alert state to the store.',
        description:
          '{{ $value | humanize }} remote writes from {{ $labels.instance }} failed in the last 5 minutes; recording rules leave gaps, the dashboards and alerts that read them go blind, and a restart of vmalert resets pending alerts.',
      },
    ],
  };
}

/** The self-monitoring groups of a VictoriaMetrics backend: the store, the cluster's links when it is one, vmagent and vmalert. */
export function victoriaMetricsRules(backend: VictoriaMetricsBackend): RuleGroupSpec[] {
  return [storeRules(), ...(backend === 'victoriametrics-cluster' ? [clusterRules()] : []), vmagentRules(), vmalertRules()];
}
