import { k8s } from 'cdk8s-plus-28';
import { APP_LABEL_RELABEL, POD_LEVEL_TARGET_LABELS, ScrapeJob } from '../../lib/scrape';

/** Where the pod's service account token and cluster CA are mounted. */
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Every pod annotated `prometheus.io/scrape: "true"`, with the port,
 * path and scheme taken from `prometheus.io/port`, `prometheus.io/path` and
 * `prometheus.io/scheme`.
 */
export function annotatedPodsJob(): ScrapeJob {
  const annotation = (name: string) => `__meta_kubernetes_pod_annotation_prometheus_io_${name}`;
  return {
    job_name: 'kubernetes-pods',
    kubernetes_sd_configs: [{ role: 'pod' }],
    relabel_configs: [
      { source_labels: [annotation('scrape')], regex: 'true', action: 'keep' },
      // Finished pods keep their annotations but have nothing to scrape.
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
      { source_labels: [annotation('scheme')], regex: '(https?)', target_label: '__scheme__', replacement: '$1' },
      { source_labels: [annotation('path')], regex: '(.+)', target_label: '__metrics_path__', replacement: '$1' },
      {
        // Replace the discovered port with the annotated one; IPv6 addresses keep their brackets.
        source_labels: ['__address__', annotation('port')],
        regex: '(.+?)(?::\\d+)?;(\\d+)',
        target_label: '__address__',
        replacement: '$1:$2',
      },
      // `app` is what dashboards and log queries filter on (like `{app="ai-service"}`).
      ...APP_LABEL_RELABEL,
      ...POD_LEVEL_TARGET_LABELS,
    ],
  };
}

/**
 * The kubelet's cAdvisor endpoint, for `container_memory_working_set_bytes`
 * and the other per-container resource metrics. Scraped directly on each
 * node's kubelet port with the service account token.
 */
export function cadvisorJob(): ScrapeJob {
  // cAdvisor also reports pod- and cgroup-level aggregates with an empty `container`;
  // queries filter `container!=""` rather than dropping them, because network metrics only exist there.
  return kubeletEndpoint('kubelet-cadvisor', '/metrics/cadvisor');
}

/**
 * The kubelet's own /metrics, kept to the volume statistics of mounted
 * PersistentVolumeClaims (`kubelet_volume_stats_*`): how full every data volume
 * is, whatever stores on it (Loki and Jaeger's Badger only bound their data by
 * time). The rest of the kubelet's metrics are dropped at scrape time; they are
 * many and nothing here reads them.
 */
export function kubeletVolumesJob(): ScrapeJob {
  return {
    ...kubeletEndpoint('kubelet', '/metrics'),
    metric_relabel_configs: [{ source_labels: ['__name__'], regex: 'kubelet_volume_stats_(available|capacity|used)_bytes', action: 'keep' }],
  };
}

/** A kubelet endpoint on every node's kubelet port, authorised with the service account token. */
function kubeletEndpoint(job: string, path: string): ScrapeJob {
  return {
    job_name: job,
    scheme: 'https',
    metrics_path: path,
    authorization: { credentials_file: `${SA_DIR}/token` },
    // Kubelet serving certificates are self-signed per node on most clusters
    // (kubeadm's default), so the cluster CA cannot verify them. The token
    // still authorises the request; only the kubelet's identity is unchecked.
    tls_config: { insecure_skip_verify: true },
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }],
  };
}

/**
 * What a scraper running `annotatedPodsJob`, `cadvisorJob` and `kubeletVolumesJob` may read through the API server
 * (Prometheus and vmagent alike): pod and node discovery, and the kubelet's /metrics and /metrics/cadvisor
 * endpoints, both authorised as nodes/metrics.
 */
export const DISCOVERY_RULES: k8s.PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
];

export function selfJob(port: number): ScrapeJob {
  return { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${port}`] }] };
}

export interface PrometheusConfigOptions {
  readonly scrapeInterval: string;
  readonly evaluationInterval: string;
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly ruleFilesGlob: string;
  readonly jobs: readonly ScrapeJob[];
  /** Alertmanagers (`host:port`) that firing alerts are sent to. @default none */
  readonly alertmanagers?: readonly string[];
  /**
   * The TSDB's retention bounds (`storage.tsdb.retention`): a duration, and a size in Prometheus' spelling
   * (`16GB`, powers of two). Only for a Prometheus server; a scrape-only agent has no TSDB. @default none
   */
  readonly retention?: { readonly time: string; readonly size: string };
}

/** The whole prometheus.yml, as data. */
export function prometheusConfig(opts: PrometheusConfigOptions): Record<string, unknown> {
  const names = new Set<string>();
  for (const job of opts.jobs) {
    if (names.has(job.job_name)) throw new Error(`scrape job "${job.job_name}" is defined twice`);
    names.add(job.job_name);
  }
  return {
    global: {
      scrape_interval: opts.scrapeInterval,
      evaluation_interval: opts.evaluationInterval,
      external_labels: { ...opts.externalLabels },
    },
    // Here, not in flags: Prometheus 3.13 marks --storage.tsdb.retention.time/size deprecated in favour of this block,
    // which also takes effect on a config reload.
    ...(opts.retention ? { storage: { tsdb: { retention: { time: opts.retention.time, size: opts.retention.size } } } } : {}),
    ...(opts.alertmanagers && opts.alertmanagers.length > 0
      ? { alerting: { alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [...opts.alertmanagers] }] }] } }
      : {}),
    rule_files: [opts.ruleFilesGlob],
    scrape_configs: opts.jobs,
  };
}
