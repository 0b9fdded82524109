import { RuleGroupSpec } from '../../kit/rule-model';

/** Kubernetes Warning events stop reaching Loki when no exporter replica runs. */
export function eventExporterRules(): RuleGroupSpec {
  return {
    name: 'kube-event-exporter',
    rules: [
      {
        alert: 'KubeEventExporterDown',
        // absent() covers the Deployment being gone entirely, when there is no `up` series at all.
        expr: 'max by (job) (up{job="kube-event-exporter"}) == 0 or absent(up{job="kube-event-exporter"})',
        // Events live an hour in the API server; 10 minutes without an exporter still lets the new leader catch up
        // on the last minute only (maxEventAgeSeconds), so alert well before much is lost.
        for: '10m',
        severity: 'warning',
        summary: 'No kube-event-exporter is running.',
        description:
          'No kube-event-exporter replica has been up for 10 minutes; Kubernetes Warning events (OOM kills, probe failures, evictions) are not reaching Loki and expire from the API server after an hour.',
      },
    ],
  };
}
