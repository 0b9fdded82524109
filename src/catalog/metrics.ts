import { POD_TARGET_LABELS } from '../lib/scrape';

/**
 * The metric catalogue: every metric that the stack's components and the
 * catalogue's services emit, with its label names. Every PromQL selector in a
 * rule or dashboard must name a metric here and use only its labels
 * (test/metric-catalogue.test.ts), so a typo such as `http_request_total`, or
 * `status` for `status_code`, fails the build instead of drawing an empty panel.
 *
 * Labels are what the exporter emits; the labels Prometheus attaches at scrape
 * time come from the scrape job (`TARGET_LABELS`), so they are declared once.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** How a metric reaches Prometheus; decides the target labels it carries. */
export type ScrapeSource = 'prometheus' | 'annotated-pods' | 'kubelet-cadvisor' | 'kube-state-metrics' | 'node-exporter';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  /** Labels the emitter sets, without target labels. */
  readonly labels: readonly string[];
  readonly source: ScrapeSource;
  /** Who emits it (a component or a seed's services), for readers. */
  readonly emitter: string;
}

const podTargetLabels = POD_TARGET_LABELS.map((r) => r.target_label!).filter(Boolean);

/**
 * Target labels per scrape job, mirroring the relabelling in
 * src/components/prometheus/scrape-config.ts and the exporters' scrape jobs.
 */
export const TARGET_LABELS: Readonly<Record<ScrapeSource, readonly string[]>> = {
  prometheus: ['job', 'instance'],
  // `app` comes from app.kubernetes.io/name or app (seed 1's `{app="ai-service"}`).
  'annotated-pods': ['job', 'instance', 'app', ...podTargetLabels],
  'kubelet-cadvisor': ['job', 'instance', 'node'],
  'kube-state-metrics': ['job', 'instance', ...podTargetLabels],
  'node-exporter': ['job', 'instance', 'node'],
};

const m = (source: ScrapeSource, emitter: string, type: MetricType, name: string, labels: string[] = []): MetricSpec => ({
  name,
  type,
  labels,
  source,
  emitter,
});

const SERVICE = 'annotated-pods' as const;

export const METRICS: readonly MetricSpec[] = [
  // ---- Prometheus itself --------------------------------------------------------
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_head_series'),
  m('prometheus', 'prometheus', 'counter', 'prometheus_tsdb_head_samples_appended_total', ['type']),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_storage_blocks_bytes'),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_retention_limit_bytes'),
  m('prometheus', 'prometheus', 'counter', 'prometheus_rule_evaluation_failures_total', ['rule_group']),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_rule_group_last_duration_seconds', ['rule_group']),

  // ---- node-exporter (seed 1: CPU, memory and disk) -----------------------------
  m('node-exporter', 'node-exporter', 'counter', 'node_cpu_seconds_total', ['cpu', 'mode']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_memory_MemAvailable_bytes'),
  m('node-exporter', 'node-exporter', 'gauge', 'node_memory_MemTotal_bytes'),
  m('node-exporter', 'node-exporter', 'gauge', 'node_filesystem_avail_bytes', ['device', 'fstype', 'mountpoint']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_filesystem_size_bytes', ['device', 'fstype', 'mountpoint']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_load1'),

  // ---- kube-state-metrics (seed 1: pod status and deployment health) ------------
  m('kube-state-metrics', 'kube-state-metrics', 'counter', 'kube_pod_container_status_restarts_total', ['namespace', 'pod', 'container', 'uid']),
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_pod_container_status_last_terminated_reason', [
    'namespace',
    'pod',
    'container',
    'reason',
    'uid',
  ]),
  // One series per `condition` (true/false/unknown), so "not ready" is condition="true" == 0.
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_pod_status_ready', ['namespace', 'pod', 'uid', 'condition']),
  // One series per phase; PodNotReady leaves out pods of finished Jobs (phase="Succeeded").
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_pod_status_phase', ['namespace', 'pod', 'uid', 'phase']),
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_pod_container_resource_limits', [
    'namespace',
    'pod',
    'container',
    'node',
    'resource',
    'unit',
    'uid',
  ]),
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_deployment_status_replicas_unavailable', ['namespace', 'deployment']),
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_node_status_condition', ['node', 'condition', 'status']),

  // ---- kubelet cAdvisor -------------------------------------------------------------
  m('kubelet-cadvisor', 'kubelet', 'gauge', 'container_memory_working_set_bytes', ['namespace', 'pod', 'container', 'id', 'image', 'name']),
  m('kubelet-cadvisor', 'kubelet', 'counter', 'container_cpu_usage_seconds_total', ['namespace', 'pod', 'container', 'id', 'image', 'name', 'cpu']),
  m('kubelet-cadvisor', 'kubelet', 'counter', 'container_oom_events_total', ['namespace', 'pod', 'container', 'id', 'image', 'name']),

  // ---- seed 1 services (Prometheus client vocabulary) ---------------------------
  m(SERVICE, 'seed 1 services', 'counter', 'http_requests_total', ['method', 'route', 'code']),
  m(SERVICE, 'seed 1 services', 'histogram', 'http_request_duration_seconds', ['method', 'route', 'code']),
  m(SERVICE, 'seed 1 grpcmetrics interceptor', 'counter', 'grpc_client_requests_total', ['target', 'method', 'code']),
  m(SERVICE, 'seed 1 grpcmetrics interceptor', 'histogram', 'grpc_client_request_duration_seconds', ['target', 'method']),
  m(SERVICE, 'seed 1 saga (order, payment)', 'counter', 'saga_steps_total', ['step']),
  m(SERVICE, 'seed 1 saga (order, payment)', 'histogram', 'saga_step_duration_seconds', ['step']),
  m(SERVICE, 'seed 1 GPU exporter', 'gauge', 'nvidia_smi_temperature_gpu', ['uuid', 'name']),

  // ---- seed 2 services (OpenTelemetry vocabulary, all 12 Platform-Kernel services) ---
  m(SERVICE, 'seed 2 services', 'histogram', 'http_server_request_duration_ms', ['service', 'method', 'route', 'status_code', 'tenant_id']),
  m(SERVICE, 'seed 2 services', 'counter', 'http_server_requests_total', ['service', 'method', 'route', 'status_code']),
  m(SERVICE, 'seed 2 services', 'histogram', 'grpc_server_request_duration_ms', ['service', 'method', 'status_code']),
  m(SERVICE, 'seed 2 services', 'histogram', 'grpc_client_request_duration_ms', ['service', 'target_service', 'method']),
  m(SERVICE, 'seed 2 services', 'histogram', 'db_query_duration_ms', ['service', 'operation', 'table']),
  m(SERVICE, 'seed 2 services', 'histogram', 'valkey_operation_duration_ms', ['service', 'command']),
  // 0 = closed, 1 = half-open, 2 = open.
  m(SERVICE, 'seed 2 services', 'gauge', 'circuit_breaker_state', ['service', 'target']),
  m(SERVICE, 'seed 2 Debezium (JMX)', 'counter', 'debezium_source_connector_wal_bytes_total'),
  m(SERVICE, 'seed 2 Debezium (JMX)', 'counter', 'debezium_source_connector_events_read_total'),
  m(SERVICE, 'seed 2 Debezium (JMX)', 'gauge', 'debezium_source_connector_lag_seconds'),
  m(SERVICE, 'seed 2 Debezium (JMX)', 'gauge', 'debezium_source_connector_snapshot_duration_ms'),
  m(SERVICE, 'seed 2 IAM, Domain Resolver', 'gauge', 'vault_health_check_failed', ['service']),
  m(SERVICE, 'seed 2 Money', 'gauge', 'money_hold_worker_last_heartbeat_seconds', ['service']),

  // ---- both seeds -----------------------------------------------------------------
  // Seed 2 names the labels; seed 1's projector and analytics consumer use the same vocabulary.
  m(SERVICE, 'Kafka consumers of both seeds', 'gauge', 'kafka_consumer_lag', ['service', 'group_id', 'topic', 'partition']),

  // ---- runtimes: Go (client_golang) and the JVM (Micrometer) ---------------------
  m(SERVICE, 'Go services and components', 'gauge', 'go_goroutines'),
  m(SERVICE, 'Go services and components', 'gauge', 'go_memstats_heap_alloc_bytes'),
  m(SERVICE, 'Go services and components', 'summary', 'go_gc_duration_seconds'),
  m(SERVICE, 'every instrumented process', 'gauge', 'process_resident_memory_bytes'),
  m(SERVICE, 'Java services', 'gauge', 'jvm_memory_used_bytes', ['area', 'id']),
  m(SERVICE, 'Java services', 'gauge', 'jvm_memory_max_bytes', ['area', 'id']),
  m(SERVICE, 'Java services', 'gauge', 'jvm_threads_live_threads'),
  m(SERVICE, 'Java services', 'histogram', 'jvm_gc_pause_seconds', ['action', 'cause']),
];

/** Series every scrape produces, for every job. */
const SCRAPE_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

export interface SeriesSpec {
  readonly metric: string;
  readonly labels: ReadonlySet<string>;
}

/**
 * Every series name a query may select, with the labels it may use: the
 * metrics above with their target labels, the `_bucket`/`_sum`/`_count` series
 * of histograms and summaries (`le` on buckets, `quantile` on summaries), and
 * the per-job scrape series.
 */
export function seriesCatalogue(): Map<string, SeriesSpec> {
  const out = new Map<string, SeriesSpec>();
  const add = (metric: string, labels: Iterable<string>) => {
    if (out.has(metric)) throw new Error(`metric catalogue: "${metric}" is declared twice`);
    out.set(metric, { metric, labels: new Set(labels) });
  };
  for (const spec of METRICS) {
    const labels = [...spec.labels, ...TARGET_LABELS[spec.source]];
    if (spec.type === 'histogram') {
      add(`${spec.name}_bucket`, [...labels, 'le']);
      add(`${spec.name}_sum`, labels);
      add(`${spec.name}_count`, labels);
    } else if (spec.type === 'summary') {
      add(spec.name, [...labels, 'quantile']);
      add(`${spec.name}_sum`, labels);
      add(`${spec.name}_count`, labels);
    } else {
      add(spec.name, labels);
    }
  }
  const allTargetLabels = new Set(Object.values(TARGET_LABELS).flat());
  for (const name of SCRAPE_SERIES) add(name, allTargetLabels);
  return out;
}
