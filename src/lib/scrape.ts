/**
 * Prometheus scrape-config vocabulary, shared by every component that wants
 * to be scraped. Each exporter describes how to scrape it; the Stack hands the
 * jobs to Prometheus. Field names are Prometheus' own (`scrape_interval`,
 * `relabel_configs`), so the rendered YAML reads like hand-written config.
 */

export interface RelabelConfig {
  readonly source_labels?: string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: 'replace' | 'keep' | 'drop' | 'labelmap' | 'labeldrop' | 'labelkeep' | 'hashmod';
}

export interface ScrapeJob {
  readonly job_name: string;
  readonly scrape_interval?: string;
  readonly scrape_timeout?: string;
  readonly metrics_path?: string;
  /** URL query parameters of every scrape (`?family=a&family=b`). */
  readonly params?: Readonly<Record<string, readonly string[]>>;
  readonly scheme?: 'http' | 'https';
  readonly honor_labels?: boolean;
  readonly authorization?: { readonly credentials_file: string };
  readonly tls_config?: { readonly ca_file?: string; readonly insecure_skip_verify?: boolean };
  readonly static_configs?: { readonly targets: string[]; readonly labels?: Record<string, string> }[];
  readonly kubernetes_sd_configs?: {
    readonly role: 'pod' | 'node' | 'endpoints' | 'service';
    readonly namespaces?: { readonly names: string[] };
  }[];
  readonly relabel_configs?: RelabelConfig[];
  readonly metric_relabel_configs?: RelabelConfig[];
}

/** `app.kubernetes.io/name` as Prometheus' pod discovery spells the label. */
const POD_NAME_LABEL = '__meta_kubernetes_pod_label_app_kubernetes_io_name';

/**
 * The `app` label of a pod's metrics and logs alike: its plain `app` label
 * when it has one (what many workloads carry, and what their queries use:
 * `{app="ai-service"}`), else `app.kubernetes.io/name`. Prometheus and the log
 * agent both use these rules, so a dashboard and a log query agree on `app`.
 */
export const APP_LABEL_RELABEL: RelabelConfig[] = [
  { source_labels: [POD_NAME_LABEL], regex: '(.+)', target_label: 'app' },
  { source_labels: ['__meta_kubernetes_pod_label_app'], regex: '(.+)', target_label: 'app' },
];

/**
 * Labels of a pod-level target (one per pod, whatever its containers): the
 * annotated-pods job. Prometheus discovers one target per container port, and
 * one per container without ports; all of them get the annotated port as
 * address, so without a `container` label they are identical and Prometheus
 * keeps one, instead of scraping the pod once per container.
 */
export const POD_LEVEL_TARGET_LABELS: RelabelConfig[] = [
  { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
];

/** Labels every pod-discovered target keeps, so alerts can say where a problem is. */
export const POD_TARGET_LABELS: RelabelConfig[] = [
  { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
  { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
  { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
];

/**
 * A job that scrapes the named port of one component's pods, found through
 * the Kubernetes API in one namespace. Used by the stack's own exporters
 * instead of annotations, so their `job` label is fixed and alerts can name it.
 */
export function componentScrapeJob(opts: {
  readonly job: string;
  readonly namespace: string;
  readonly appName: string;
  readonly portName: string;
  readonly honorLabels?: boolean;
  readonly metricsPath?: string;
}): ScrapeJob {
  return {
    job_name: opts.job,
    honor_labels: opts.honorLabels,
    metrics_path: opts.metricsPath,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [opts.namespace] } }],
    relabel_configs: [
      { source_labels: [POD_NAME_LABEL], regex: opts.appName, action: 'keep' },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: opts.portName, action: 'keep' },
      ...POD_TARGET_LABELS,
    ],
  };
}
