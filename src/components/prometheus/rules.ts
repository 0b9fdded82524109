import { RuleGroupSpec } from '../../kit/rule-model';

/**
 * The stack watching itself: the alert path works (Watchdog), every target is
 * scraped, and every rule evaluates.
 */
export function prometheusRules(): RuleGroupSpec {
  return {
    name: 'stack-self-monitoring',
    rules: [
      {
        alert: 'Watchdog',
        // Always true: if this alert stops arriving, the path from Prometheus to the receivers is broken.
        expr: 'vector(1)',
        severity: 'info',
        summary: 'The alerting pipeline is working.',
        description:
          'This alert always fires. Route it to a dead man\'s switch; its absence means Prometheus, the rule evaluation or the notification path is down.',
      },
      {
        alert: 'TargetDown',
        expr: 'up == 0',
        // Tolerates a rollout or a pod reschedule; a target gone for 5 minutes is a real gap in the data.
        for: '5m',
        severity: 'warning',
        summary: 'A scrape target is down.',
        description:
          'Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}, namespace {{ $labels.namespace }}, pod {{ $labels.pod }}) for 5 minutes; its metrics and alerts are blind.',
      },
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
