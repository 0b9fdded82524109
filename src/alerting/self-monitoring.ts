import { RuleGroupSpec } from '../kit/rule-model';

/**
 * The stack watching itself, whichever metrics backend runs: the alert path
 * works (Watchdog) and every target is scraped. Prometheus and vmagent both
 * write `up` for every target, so these read the same on either backend; the
 * backend's own health is its component's group.
 */
export function stackSelfMonitoringRules(): RuleGroupSpec {
  return {
    name: 'stack-self-monitoring',
    rules: [
      {
        alert: 'Watchdog',
        // Always true: if this alert stops arriving, the path from the rule evaluator to the receivers is broken.
        expr: 'vector(1)',
        severity: 'info',
        summary: 'The alerting pipeline is working.',
        description:
          'This alert always fires. Route it to a dead man\'s switch; its absence means the metrics backend, the rule evaluation or the notification path is down.',
      },
      {
        alert: 'TargetDown',
        expr: 'up == 0',
        // Tolerates a rollout or a pod reschedule; a target gone for 5 minutes is a real gap in the data.
        for: '5m',
        severity: 'warning',
        summary: 'A scrape target is down.',
        description:
          'The scraper has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}, namespace {{ $labels.namespace }}, pod {{ $labels.pod }}) for 5 minutes; its metrics and alerts are blind.',
      },
    ],
  };
}
