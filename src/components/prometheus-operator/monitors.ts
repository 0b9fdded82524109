import {
  PodMonitorSpec,
  PodMonitorSpecPodMetricsEndpoints,
  PodMonitorSpecPodMetricsEndpointsMetricRelabelingsAction,
  PodMonitorSpecPodMetricsEndpointsRelabelings,
  PodMonitorSpecPodMetricsEndpointsRelabelingsAction,
  PodMonitorSpecPodMetricsEndpointsScheme,
  PrometheusRuleSpec,
  PrometheusRuleSpecGroupsRulesExpr,
} from '../../../imports/monitoring.coreos.com';
import type { RenderedRuleGroup } from '../../kit/rule-model';
import type { RelabelConfig, ScrapeJob } from '../../lib/scrape';

/**
 * A rule group as a PrometheusRule's spec: the same name, interval, rules, labels and annotations as the
 * rule file Prometheus mode writes (dist/<env>/rules/<group>.yaml).
 */
export function prometheusRuleSpec(group: RenderedRuleGroup): PrometheusRuleSpec {
  return {
    groups: [
      {
        name: group.name,
        interval: group.interval,
        rules: group.rules.map((rule) =>
          'alert' in rule
            ? { alert: rule.alert, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr), for: rule.for, labels: rule.labels, annotations: rule.annotations }
            : { record: rule.record, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr), labels: rule.labels },
        ),
      },
    ],
  };
}

/**
 * Target labels the operator (v0.93, pkg/prometheus/promcfg.go) adds to every PodMonitor target before the
 * monitor's own relabelings; `endpoint` too, but only for an endpoint with a `port`, which these never set.
 */
export const OPERATOR_POD_TARGET_LABELS = ['namespace', 'container', 'pod'];

function relabeling(r: RelabelConfig): PodMonitorSpecPodMetricsEndpointsRelabelings {
  return {
    sourceLabels: r.source_labels,
    separator: r.separator,
    regex: r.regex,
    targetLabel: r.target_label,
    replacement: r.replacement,
    action: r.action as PodMonitorSpecPodMetricsEndpointsRelabelingsAction | undefined,
  };
}

/**
 * A pod-discovery scrape job as a PodMonitor with the same meaning: the job's relabelings run verbatim after
 * the operator's own (so the same pods, ports and target labels are kept), then `job` is set to the job's name
 * (the operator's default is `<namespace>/<monitor>`, and alerts select `job="..."`), and the target labels the
 * operator adds that the job does not set are dropped, so every series has the labels it has in Prometheus mode.
 * The interval is written out: the operator's Prometheus has its own global default.
 */
export function podMonitorSpec(job: ScrapeJob, scrapeInterval: string): PodMonitorSpec {
  const sd = job.kubernetes_sd_configs ?? [];
  if (sd.length !== 1 || sd[0].role !== 'pod' || job.static_configs || job.authorization || job.tls_config?.ca_file) {
    throw new Error(`scrape job "${job.job_name}": only a job that discovers pods (one kubernetes_sd_configs of role "pod") becomes a PodMonitor`);
  }
  const relabelings = job.relabel_configs ?? [];
  const set = new Set(relabelings.map((r) => r.target_label));
  const added = OPERATOR_POD_TARGET_LABELS.filter((l) => !set.has(l));
  const endpoint: PodMonitorSpecPodMetricsEndpoints = {
    path: job.metrics_path,
    params: job.params ? Object.fromEntries(Object.entries(job.params).map(([k, v]) => [k, [...v]])) : undefined,
    scheme: job.scheme as PodMonitorSpecPodMetricsEndpointsScheme | undefined,
    interval: job.scrape_interval ?? scrapeInterval,
    scrapeTimeout: job.scrape_timeout,
    honorLabels: job.honor_labels,
    tlsConfig: job.tls_config ? { insecureSkipVerify: job.tls_config.insecure_skip_verify } : undefined,
    relabelings: [
      ...relabelings.map(relabeling),
      { action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.REPLACE, targetLabel: 'job', replacement: job.job_name },
      ...(added.length > 0 ? [{ action: PodMonitorSpecPodMetricsEndpointsRelabelingsAction.LABELDROP, regex: added.join('|') }] : []),
    ],
    metricRelabelings: job.metric_relabel_configs?.map((r) => ({ ...relabeling(r), action: r.action as PodMonitorSpecPodMetricsEndpointsMetricRelabelingsAction | undefined })),
  };
  const names = sd[0].namespaces?.names;
  return {
    // Every pod: the job's own keep rules select, exactly as in Prometheus mode.
    selector: {},
    namespaceSelector: names ? { matchNames: [...names] } : { any: true },
    podMetricsEndpoints: [endpoint],
  };
}
