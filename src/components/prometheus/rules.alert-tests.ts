import { AlertTests } from '../../kit/alert-tests';

export const selfMonitoringAlertTests: AlertTests = {
  group: 'stack-self-monitoring',
  cases: [
    {
      name: 'Watchdog always fires',
      series: [],
      checks: [{ at: '1m', alert: 'Watchdog', firing: [{ severity: 'info' }] }],
    },
    {
      name: 'TargetDown is silent when no target reports at all (absence is for Watchdog and the exporters\' own alerts)',
      series: [],
      checks: [{ at: '1m', alert: 'TargetDown', firing: [] }],
    },
    {
      name: 'TargetDown fires after 5 minutes down, not before, and only for the target that is down',
      series: [
        { series: 'up{job="node-exporter", instance="node-1", namespace="monitoring-agents", pod="ne-1"}', values: '1x5 0x15' },
        { series: 'up{job="node-exporter", instance="node-2", namespace="monitoring-agents", pod="ne-2"}', values: '1x20' },
      ],
      checks: [
        { at: '5m', alert: 'TargetDown', firing: [] },
        // Down from minute 6: pending at 10m, firing from 11m.
        { at: '10m', alert: 'TargetDown', firing: [] },
        {
          at: '12m',
          alert: 'TargetDown',
          firing: [{ severity: 'warning', job: 'node-exporter', instance: 'node-1', namespace: 'monitoring-agents', pod: 'ne-1' }],
        },
      ],
    },
    {
      name: 'PrometheusRuleEvaluationFailures fires after 15 minutes of failures, not on a healthy counter',
      series: [
        { series: 'prometheus_rule_evaluation_failures_total{rule_group="/etc/prometheus/rules/a.yaml;a", instance="localhost:9090", job="prometheus"}', values: '0x5 1+1x30' },
        { series: 'prometheus_rule_evaluation_failures_total{rule_group="/etc/prometheus/rules/b.yaml;b", instance="localhost:9090", job="prometheus"}', values: '0x35' },
      ],
      checks: [
        { at: '10m', alert: 'PrometheusRuleEvaluationFailures', firing: [] },
        {
          at: '30m',
          alert: 'PrometheusRuleEvaluationFailures',
          firing: [{ severity: 'critical', rule_group: '/etc/prometheus/rules/a.yaml;a', instance: 'localhost:9090', job: 'prometheus' }],
        },
      ],
    },
    {
      name: 'PrometheusStorageNearRetentionSize fires above 90% for 30 minutes, silent at 80%',
      series: [
        { series: 'prometheus_tsdb_storage_blocks_bytes{instance="a", job="prometheus"}', values: '95x60' },
        { series: 'prometheus_tsdb_retention_limit_bytes{instance="a", job="prometheus"}', values: '100x60' },
        { series: 'prometheus_tsdb_storage_blocks_bytes{instance="b", job="prometheus"}', values: '80x60' },
        { series: 'prometheus_tsdb_retention_limit_bytes{instance="b", job="prometheus"}', values: '100x60' },
      ],
      checks: [
        { at: '20m', alert: 'PrometheusStorageNearRetentionSize', firing: [] },
        {
          at: '45m',
          alert: 'PrometheusStorageNearRetentionSize',
          firing: [{ severity: 'warning', instance: 'a', job: 'prometheus' }],
        },
      ],
    },
  ],
};
