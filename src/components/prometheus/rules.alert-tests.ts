import { AlertTests } from '../../kit/alert-tests';

export const prometheusAlertTests: AlertTests = {
  group: 'prometheus-self-monitoring',
  cases: [
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
