import { RuleGroupSpec } from '../../kit/rule-model';

/** Loki failing queries or pushes, and Loki refusing lines it was sent. */
export function lokiRules(): RuleGroupSpec {
  return {
    name: 'loki',
    rules: [
      {
        alert: 'LokiRequestErrors',
        expr: `100 * sum by (namespace, job, route) (rate(loki_request_duration_seconds_count{status_code=~"5.."}[5m]))
  / sum by (namespace, job, route) (rate(loki_request_duration_seconds_count[5m])) > %{percent}`,
        thresholds: { percent: { value: 10, description: 'share of 5xx responses of one route over 5 minutes, in percent' } },
        // The Loki mixin's threshold and duration: 10% of a route failing for 15 minutes is not a blip.
        for: '15m',
        severity: 'critical',
        summary: 'Loki is failing requests.',
        description:
          '{{ printf "%.1f" $value }}% of requests to route {{ $labels.route }} of {{ $labels.job }} in {{ $labels.namespace }} failed with a 5xx in the last 5 minutes; pushes or queries are being lost.',
      },
      {
        alert: 'LokiIngestionRejects',
        expr: 'sum by (namespace, job, reason) (increase(loki_discarded_samples_total[5m])) > 0',
        // A short burst over a rate limit is absorbed by the agents' retries; 15 minutes of rejects means lost lines.
        for: '15m',
        severity: 'warning',
        summary: 'Loki is rejecting log lines.',
        description:
          'Loki ({{ $labels.job }} in {{ $labels.namespace }}) discarded {{ $value | humanize }} lines in the last 5 minutes with reason {{ $labels.reason }}; a limit in logs.ingestion is being hit.',
      },
    ],
  };
}
