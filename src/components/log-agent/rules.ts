import { RuleGroupSpec } from '../../kit/rule-model';

/**
 * The log agent losing lines. Each expression covers both agents, Promtail
 * (`promtail_*`) and Alloy (`loki_write_*`), so switching `logs.agent` keeps
 * the alerts working; only one side ever has series.
 */
export function logAgentRules(): RuleGroupSpec {
  const failed = (metric: string) => `sum by (namespace, pod) (rate(${metric}{status_code!~"2.."}[5m]))`;
  const all = (metric: string) => `sum by (namespace, pod) (rate(${metric}[5m]))`;
  return {
    name: 'log-agent',
    rules: [
      {
        alert: 'LogAgentSendFailures',
        expr: `(
  ${failed('promtail_request_duration_seconds_count')}
  or ${failed('loki_write_request_duration_seconds_count')}
)
/ (
  ${all('promtail_request_duration_seconds_count')}
  or ${all('loki_write_request_duration_seconds_count')}
) > 0.1`,
        // The agents retry with backoff for about 10 minutes; failing longer than that means lines start to be dropped.
        for: '15m',
        severity: 'warning',
        summary: 'The log agent is failing to send to Loki.',
        description:
          '{{ $value | humanizePercentage }} of pushes from {{ $labels.pod }} ({{ $labels.namespace }}) to Loki failed in the last 5 minutes; its node\'s logs are delayed and will be dropped when retries run out.',
      },
      {
        alert: 'LogAgentDroppingLines',
        expr: `sum by (namespace, pod, reason) (increase(promtail_dropped_entries_total[10m])) > 0
or sum by (namespace, pod, reason) (increase(loki_write_dropped_entries_total[10m])) > 0`,
        // No `for`: a dropped line is already lost; waiting would only hide how many.
        severity: 'warning',
        summary: 'The log agent is dropping log lines.',
        description:
          '{{ $labels.pod }} ({{ $labels.namespace }}) dropped {{ $value | humanize }} log lines in the last 10 minutes (reason {{ $labels.reason }}); they will never reach Loki.',
      },
    ],
  };
}
