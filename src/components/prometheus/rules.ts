import { RuleGroupSpec } from '../../kit/rule-model';

/**
 * Prometheus watching itself: every rule evaluates and the TSDB stays inside
 * its size limit. Generated only when Prometheus is the metrics backend; the
 * backend-neutral Watchdog and TargetDown are src/alerting/self-monitoring.ts.
 */
export function prometheusRules(): RuleGroupSpec {
  return {
    name: 'prometheus-self-monitoring',
    rules: [
      {
        alert: 'PrometheusRuleEvaluationFailures',
        expr: 'increase(prometheus_rule_evaluation_failures_total[5m]) > 0',
        // A failing rule is an alert that cannot fire; 15 minutes rules out a one-off query timeout.
        for: '15m',
        severity: 'critical',
        summary: 'Prometheus is failing to evaluate rules.',
        description:
          '{{ $value | humanize }} evaluations of rule group {{ $labels.rule_group }} failed in the last 5 minutes on {{ $labels.instance }}; the alerts in that group cannot fire.',
      },
      {
        alert: 'PrometheusStorageNearRetentionSize',
        expr: 'prometheus_tsdb_storage_blocks_bytes / prometheus_tsdb_retention_limit_bytes > %{ratio} and prometheus_tsdb_retention_limit_bytes > 0',
        thresholds: { ratio: { value: 0.9, description: 'TSDB block bytes as a share of the retention size, 0-1' } },
        // Size-based retention is about to delete data younger than the time-based retention promises.
        for: '30m',
        severity: 'warning',
        summary: 'Prometheus storage is close to its size limit.',
        description:
          'The TSDB on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its retention size; older blocks will be deleted before the retention time, so history is shorter than configured.',
      },
    ],
  };
}
