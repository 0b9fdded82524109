import type { ServiceConfig } from './config';
import { BUILD_INFO, WEBHOOK_EVENTS } from './services';
import { GPU_METRICS, GpuExporterKind, GpuMetricSet } from '../components/gpu/metrics';
import { PLANS_COUNT, WAL_SLOT } from '../components/postgres/rules';
import {
  LLM_METRICS,
  LLM_RESOURCE_ATTRIBUTES,
  LLM_SPAN_LABELS,
  promLabel,
  SPANMETRICS_COLLECTOR_LABEL,
  SPANMETRICS_LABELS,
  TOKENS_COLLECTOR_LABEL,
} from '../components/otel-collector/llm-metrics';
import { GATEWAY_K8S_METADATA } from '../components/otel-collector/collector-config';
import { JAVA_AGENT_RESOURCE_ATTRIBUTES } from '../instrumentation/jmx';
import { RABBITMQ_METRICS, rabbitmqScrapeJob } from '../components/rabbitmq/scrape';
import { componentScrapeJob, POD_LEVEL_TARGET_LABELS, POD_TARGET_LABELS } from '../lib/scrape';
import type { MetricSpec, MetricType, ScrapeSource, SeriesSpec } from '../kit/metric-catalogue';

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

const podTargetLabels = POD_TARGET_LABELS.map((r) => r.target_label!).filter(Boolean);
const podLevelTargetLabels = POD_LEVEL_TARGET_LABELS.map((r) => r.target_label!).filter(Boolean);

/**
 * What `componentScrapeJob()` keeps, read from the job it builds so the two
 * cannot drift. None of those jobs sets honor_labels except kube-state-metrics,
 * so an exporter's own `namespace`/`pod`/`container` arrive as `exported_*`.
 */
const componentJobTargetLabels = [
  'job',
  'instance',
  ...(componentScrapeJob({ job: 'x', namespace: 'x', appName: 'x', portName: 'x' }).relabel_configs ?? [])
    .map((r) => r.target_label)
    .filter((l): l is string => l !== undefined),
];

/**
 * Target labels per scrape job, mirroring the relabelling in
 * src/components/prometheus/scrape-config.ts and the exporters' scrape jobs.
 */
export const TARGET_LABELS: Readonly<Record<ScrapeSource, readonly string[]>> = {
  prometheus: ['job', 'instance'],
  // `app` comes from app.kubernetes.io/name or app (so `{app="ai-service"}` selects the AI service).
  'annotated-pods': ['job', 'instance', 'app', ...podLevelTargetLabels],
  'kubelet-cadvisor': ['job', 'instance', 'node'],
  kubelet: ['job', 'instance', 'node'],
  'kube-state-metrics': ['job', 'instance', ...podTargetLabels],
  'node-exporter': ['job', 'instance', 'node'],
  // componentScrapeJob() jobs: loki.ts, log-agent.ts (job `promtail` or `alloy`),
  // jaeger.ts, otel-collector.ts (jobs `otel-collector` and `otel-collector-agent`), gpu-exporter.ts.
  loki: componentJobTargetLabels,
  'log-agent': componentJobTargetLabels,
  jaeger: componentJobTargetLabels,
  'otel-collector': componentJobTargetLabels,
  'gpu-exporter': componentJobTargetLabels,
  // componentScrapeJob() jobs of victoriametrics.ts and vmalert.ts: `victoriametrics`, or `vmstorage`,
  // `vminsert` and `vmselect`; and `vmalert`.
  victoriametrics: componentJobTargetLabels,
  // vmagent scrapes itself at localhost (vmagent.ts `vmagentScrapeConfig`), like Prometheus.
  vmagent: ['job', 'instance'],
  // rabbitmqScrapeJob() in src/components/rabbitmq/scrape.ts, read from the job it builds.
  rabbitmq: [
    'job',
    'instance',
    ...(rabbitmqScrapeJob({ brokers: [{ name: 'x', namespace: 'x' }], vhost: '/' }).relabel_configs ?? [])
      .map((r) => r.target_label)
      .filter((l): l is string => l !== undefined),
  ],
  // Not scraped: Loki's ruler remote-writes its recording rules' results (loki.ts `ruler.remote_write`,
  // no external labels), so a series carries only what its LogQL aggregation keeps.
  'loki-ruler': [],
  // Not scraped: the gateway derives them from LLM call spans and remote-writes them; the span's resource
  // becomes labels (resource_to_telemetry_conversion), and remote write maps service.name and
  // service.instance.id to job and instance as well.
  'llm-spans': ['job', 'instance', 'otel_scope_name', ...LLM_RESOURCE_ATTRIBUTES.map(promLabel)],
  // Not scraped: the OpenTelemetry Java agent in a service's JVM (instrument() with jmx) pushes OTLP to the
  // gateway, which remote-writes. The resource becomes labels: what instrument() sets, what the agent's
  // remaining detectors and SDK add, and the pod metadata the gateway's k8s_attributes adds.
  'java-agent': [
    'job',
    'instance',
    'otel_scope_name',
    'otel_scope_version',
    ...JAVA_AGENT_RESOURCE_ATTRIBUTES.map(promLabel),
    ...GATEWAY_K8S_METADATA.map(promLabel),
  ],
};

const m = (source: ScrapeSource | readonly ScrapeSource[], emitter: string, type: MetricType, name: string, labels: string[] = []): MetricSpec => ({
  name,
  type,
  labels,
  source,
  emitter,
});

const SERVICE = 'annotated-pods' as const;

/** Alloy registers each component's metrics with these labels. */
const ALLOY_COMPONENT = ['component_id', 'component_path'];

const OTELCOL: readonly ScrapeSource[] = ['otel-collector', 'jaeger'];
const OTELCOL_EMITTER = 'OTel Collector 0.158 and Jaeger v2 internal telemetry';
const OTEL_SIGNALS = ['spans', 'metric_points', 'log_records'] as const;
/** The instrumentation scope and the service resource, which the Prometheus reader puts on every series. */
const OTELCOL_COMMON = ['otel_scope_name', 'otel_scope_version', 'service_instance_id', 'service_name', 'service_version'];

/**
 * Labels each GPU exporter sets on its device metrics. nvidia_gpu_exporter
 * labels by `uuid` only, its `_gpu_info` series carries the descriptive ones;
 * dcgm-exporter labels every series, and with the kubelet pod-resources
 * mapping names the pod holding the GPU (arriving as `exported_*`, see GPU_METRICS).
 */
const GPU_LABELS: Readonly<Record<GpuExporterKind, { readonly all: readonly string[]; readonly perMetric?: Readonly<Record<string, readonly string[]>> }>> = {
  'nvidia-smi': {
    all: ['uuid'],
    perMetric: { nvidia_smi_gpu_info: ['name', 'driver_model_current', 'driver_model_pending', 'vbios_version', 'driver_version'] },
  },
  dcgm: {
    all: ['gpu', 'UUID', 'device', 'modelName', 'Hostname', 'pci_bus_id', 'DCGM_FI_DRIVER_VERSION', 'exported_namespace', 'exported_pod', 'exported_container'],
  },
};

/** The series names inside GPU_METRICS' expressions (`DCGM_FI_DEV_FB_USED * 1048576` names one). */
function gpuMetrics(): MetricSpec[] {
  const queryFields: (keyof GpuMetricSet)[] = ['presence', 'utilisationRatio', 'temperatureCelsius', 'memoryUsedBytes', 'memoryTotalBytes', 'powerWatts'];
  const out = new Map<string, MetricSpec>();
  for (const [kind, set] of Object.entries(GPU_METRICS) as [GpuExporterKind, GpuMetricSet][]) {
    const labels = GPU_LABELS[kind];
    if (!labels.all.includes(set.gpuLabel)) throw new Error(`metric catalogue: GPU exporter ${kind} names GPUs by "${set.gpuLabel}", not in its labels`);
    for (const pp of set.perPod ? [set.perPod.namespaceLabel, set.perPod.podLabel] : []) {
      if (!labels.all.includes(pp)) throw new Error(`metric catalogue: GPU exporter ${kind} attributes pods by "${pp}", not in its labels`);
    }
    for (const field of queryFields) {
      for (const name of String(set[field]).match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
        if (out.has(name)) continue;
        out.set(name, m('gpu-exporter', `gpu-exporter (${kind})`, 'gauge', name, [...labels.all, ...(labels.perMetric?.[name] ?? [])]));
      }
    }
  }
  return [...out.values()];
}

/** Labels of postgres_exporter's default metrics (not its collectors): `server` is the DSN's host:port. */
const PG_SERVER = ['server'];
/** The stat_statements collector's labels on every per-statement series. */
const PG_STATEMENT = ['user', 'datname', 'queryid'];

export const METRICS: readonly MetricSpec[] = [
  // ---- Prometheus itself --------------------------------------------------------
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_head_series'),
  m('prometheus', 'prometheus', 'counter', 'prometheus_tsdb_head_samples_appended_total', ['type']),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_storage_blocks_bytes'),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_tsdb_retention_limit_bytes'),
  m('prometheus', 'prometheus', 'counter', 'prometheus_rule_evaluation_failures_total', ['rule_group']),
  m('prometheus', 'prometheus', 'gauge', 'prometheus_rule_group_last_duration_seconds', ['rule_group']),

  // ---- VictoriaMetrics v1.151.0: the store (single node or vmstorage), vminsert, vmselect, vmagent, vmalert ----
  // Names and labels as a started binary serves them on /metrics (test/integration/victoriametrics.test.ts starts
  // them); the cluster-only vm_rpc_* and vmselect's vm_request_errors_total from the cluster sources at the tag.
  m(['victoriametrics', 'vmagent'], 'every VictoriaMetrics binary', 'gauge', 'vm_app_start_timestamp'),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'gauge', 'vm_storage_is_read_only', ['path']),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'gauge', 'vm_free_disk_space_bytes', ['path']),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'gauge', 'vm_free_disk_space_limit_bytes', ['path']),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'gauge', 'vm_total_disk_space_bytes', ['path']),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'counter', 'vm_slow_row_inserts_total'),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'counter', 'vm_rows_added_to_storage_total'),
  m('victoriametrics', 'victoria-metrics, vmstorage', 'gauge', 'vm_cache_entries', ['type']),
  m(['victoriametrics', 'vmagent'], 'victoria-metrics, vminsert, vmagent', 'counter', 'vm_rows_ignored_total', ['reason']),
  m('victoriametrics', 'vminsert', 'gauge', 'vm_rpc_vmstorage_is_reachable', ['name', 'addr']),
  m('victoriametrics', 'vmselect', 'counter', 'vm_request_errors_total', ['action', 'type', 'name', 'addr']),
  m('vmagent', 'vmagent', 'gauge', 'vmagent_remotewrite_pending_data_bytes', ['path', 'url']),
  m('vmagent', 'vmagent', 'counter', 'vmagent_remotewrite_packets_dropped_total', ['url']),
  m('vmagent', 'vmagent', 'counter', 'vmagent_remotewrite_retries_count_total', ['url']),
  m('vmagent', 'vmagent', 'gauge', 'vm_persistentqueue_bytes_pending', ['path', 'name']),
  m('vmagent', 'vmagent', 'gauge', 'vm_persistentqueue_free_disk_space_bytes', ['path', 'name']),
  m('vmagent', 'vmagent', 'counter', 'vm_persistentqueue_bytes_dropped_total', ['path', 'name']),
  m('victoriametrics', 'vmalert', 'counter', 'vmalert_alerting_rules_errors_total', ['alertname', 'group', 'file', 'id']),
  m('victoriametrics', 'vmalert', 'counter', 'vmalert_recording_rules_errors_total', ['recording', 'group', 'file', 'id']),
  m('victoriametrics', 'vmalert', 'counter', 'vmalert_alerts_send_errors_total', ['addr']),
  m('victoriametrics', 'vmalert', 'counter', 'vmalert_remotewrite_errors_total'),
  m('victoriametrics', 'vmalert', 'summary', 'vmalert_iteration_duration_seconds', ['group', 'file']),

  // ---- node-exporter (CPU, memory and disk) ------------------------------------
  m('node-exporter', 'node-exporter', 'counter', 'node_cpu_seconds_total', ['cpu', 'mode']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_memory_MemAvailable_bytes'),
  m('node-exporter', 'node-exporter', 'gauge', 'node_memory_MemTotal_bytes'),
  m('node-exporter', 'node-exporter', 'gauge', 'node_filesystem_avail_bytes', ['device', 'fstype', 'mountpoint']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_filesystem_size_bytes', ['device', 'fstype', 'mountpoint']),
  m('node-exporter', 'node-exporter', 'gauge', 'node_load1'),

  // ---- kube-state-metrics (pod status and deployment health) -------------------
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
  // ---- kubelet /metrics, kept to the volume statistics of mounted PVCs ------------
  m('kubelet', 'kubelet', 'gauge', 'kubelet_volume_stats_available_bytes', ['namespace', 'persistentvolumeclaim']),
  m('kubelet', 'kubelet', 'gauge', 'kubelet_volume_stats_capacity_bytes', ['namespace', 'persistentvolumeclaim']),
  m('kubelet', 'kubelet', 'gauge', 'kubelet_volume_stats_used_bytes', ['namespace', 'persistentvolumeclaim']),

  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_deployment_status_replicas_ready', ['namespace', 'deployment']),
  m('kube-state-metrics', 'kube-state-metrics', 'gauge', 'kube_deployment_spec_replicas', ['namespace', 'deployment']),

  // ---- Loki 3.x (dskit's request middleware, the distributor, validation) -------------
  m('loki', 'loki', 'histogram', 'loki_request_duration_seconds', ['method', 'route', 'status_code', 'ws']),
  m('loki', 'loki', 'counter', 'loki_distributor_lines_received_total', ['tenant']),
  m('loki', 'loki', 'counter', 'loki_discarded_samples_total', ['reason', 'tenant']),

  // ---- the log agent: Promtail 3.x (`promtail_*`) or Alloy loki.write (`loki_write_*`) ---
  // Same client code, same labels. Alloy adds `component_id` and `component_path` to every component's metrics.
  m('log-agent', 'promtail', 'histogram', 'promtail_request_duration_seconds', ['status_code', 'host', 'tenant']),
  m('log-agent', 'promtail', 'counter', 'promtail_dropped_entries_total', ['host', 'tenant', 'reason']),
  m('log-agent', 'alloy loki.write', 'histogram', 'loki_write_request_duration_seconds', ['status_code', 'host', 'tenant', ...ALLOY_COMPONENT]),
  m('log-agent', 'alloy loki.write', 'counter', 'loki_write_dropped_entries_total', ['host', 'tenant', 'reason', ...ALLOY_COMPONENT]),

  // ---- OTel Collector internal telemetry (also Jaeger v2, which is built on it) --------
  // Both expose it through the same `telemetry.metrics.readers` Prometheus pull reader.
  ...OTEL_SIGNALS.flatMap((signal) => [
    m(OTELCOL, OTELCOL_EMITTER, 'counter', `otelcol_receiver_accepted_${signal}_total`, ['receiver', 'transport', ...OTELCOL_COMMON]),
    m(OTELCOL, OTELCOL_EMITTER, 'counter', `otelcol_receiver_refused_${signal}_total`, ['receiver', 'transport', ...OTELCOL_COMMON]),
    m(OTELCOL, OTELCOL_EMITTER, 'counter', `otelcol_exporter_sent_${signal}_total`, ['exporter', ...OTELCOL_COMMON]),
    m(OTELCOL, OTELCOL_EMITTER, 'counter', `otelcol_exporter_send_failed_${signal}_total`, ['exporter', ...OTELCOL_COMMON]),
    m(OTELCOL, OTELCOL_EMITTER, 'counter', `otelcol_exporter_enqueue_failed_${signal}_total`, ['exporter', ...OTELCOL_COMMON]),
  ]),
  m(OTELCOL, OTELCOL_EMITTER, 'gauge', 'otelcol_exporter_queue_size', ['exporter', 'data_type', ...OTELCOL_COMMON]),
  m(OTELCOL, OTELCOL_EMITTER, 'gauge', 'otelcol_exporter_queue_capacity', ['exporter', 'data_type', ...OTELCOL_COMMON]),
  // `otel.signal` in OTel, `otel_signal` once the Prometheus reader sanitises it.
  m(OTELCOL, OTELCOL_EMITTER, 'counter', 'otelcol_processor_incoming_items_total', ['processor', 'otel_signal', ...OTELCOL_COMMON]),
  m(OTELCOL, OTELCOL_EMITTER, 'counter', 'otelcol_processor_outgoing_items_total', ['processor', 'otel_signal', ...OTELCOL_COMMON]),

  // ---- GPU exporters: every series name the GPU_METRICS table uses, for both exporters ---
  ...gpuMetrics(),

  // ---- postgres_exporter sidecar, scraped through the pod annotations -----------------
  // Built-in collectors only (src/components/postgres/exporter.ts); test/integration/postgres.test.ts reads
  // every one of these from the real exporter against the real server.
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_up'),
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_exporter_last_scrape_error'),
  m(SERVICE, 'postgres_exporter', 'counter', 'pg_stat_database_blks_hit', ['datid', 'datname']),
  m(SERVICE, 'postgres_exporter', 'counter', 'pg_stat_database_blks_read', ['datid', 'datname']),
  m(SERVICE, 'postgres_exporter', 'counter', 'pg_stat_database_deadlocks', ['datid', 'datname']),
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_calls_total', PG_STATEMENT),
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_seconds_total', PG_STATEMENT),
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_rows_total', PG_STATEMENT),
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_block_read_seconds_total', PG_STATEMENT),
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_block_write_seconds_total', PG_STATEMENT),
  // With --collector.stat_statements.include_query: always 1, the statement's text as `query`.
  m(SERVICE, 'postgres_exporter stat_statements', 'counter', 'pg_stat_statements_query_id', ['queryid', 'query']),
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_stat_activity_count', [
    'datname',
    'state',
    'usename',
    'application_name',
    'backend_type',
    'wait_event_type',
    'wait_event',
    ...PG_SERVER,
  ]),
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_settings_max_connections', PG_SERVER),
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_settings_superuser_reserved_connections', PG_SERVER),
  m(SERVICE, 'postgres_exporter', 'gauge', 'pg_stat_archiver_last_archive_age', PG_SERVER),
  m(SERVICE, 'postgres_exporter', 'counter', 'pg_stat_archiver_archived_count', PG_SERVER),
  m(SERVICE, 'postgres_exporter', 'counter', 'pg_stat_archiver_failed_count', PG_SERVER),
  m(SERVICE, 'postgres_exporter replication', 'gauge', 'pg_replication_lag_seconds'),
  m(SERVICE, 'postgres_exporter replication', 'gauge', 'pg_replication_is_replica'),
  // The WAL a replication slot holds back (WALBloatCritical): the confirmed position only while the slot is active.
  m(SERVICE, 'postgres_exporter replication_slot', 'gauge', WAL_SLOT.current, ['slot_name', 'slot_type']),
  m(SERVICE, 'postgres_exporter replication_slot', 'gauge', WAL_SLOT.confirmed, ['slot_name', 'slot_type']),

  // ---- RabbitMQ's rabbitmq_prometheus plugin, /metrics/detailed (names as RabbitMQ 3.10 emits them) ---
  m('rabbitmq', 'rabbitmq_prometheus queue_coarse_metrics', 'gauge', RABBITMQ_METRICS.ready, ['vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus queue_coarse_metrics', 'gauge', RABBITMQ_METRICS.unacked, ['vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus queue_coarse_metrics', 'gauge', RABBITMQ_METRICS.depth, ['vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus queue_consumer_count', 'gauge', RABBITMQ_METRICS.consumers, ['vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus queue_metrics', 'gauge', RABBITMQ_METRICS.utilisation, ['vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus channel_queue_metrics', 'counter', RABBITMQ_METRICS.delivered, ['channel', 'vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus channel_queue_metrics', 'counter', RABBITMQ_METRICS.deliveredNoAck, ['channel', 'vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus channel_queue_metrics', 'counter', RABBITMQ_METRICS.acked, ['channel', 'vhost', 'queue']),
  m('rabbitmq', 'rabbitmq_prometheus channel_queue_exchange_metrics', 'counter', RABBITMQ_METRICS.published, [
    'channel',
    'queue_vhost',
    'queue',
    'exchange_vhost',
    'exchange',
  ]),

  // ---- Loki ruler recording rules, remote-written to Prometheus ------------------------
  // autoExplainLokiRules() in src/components/postgres/rules.ts: `sum by (namespace) (count_over_time(...))`.
  m('loki-ruler', 'Loki ruler (postgres auto_explain plans)', 'gauge', PLANS_COUNT, ['namespace']),

  // ---- services instrumented with the Prometheus client (`prometheus-client`) ----
  m(SERVICE, 'services (prometheus-client)', 'counter', 'http_requests_total', ['method', 'route', 'code']),
  m(SERVICE, 'services (prometheus-client)', 'histogram', 'http_request_duration_seconds', ['method', 'route', 'code']),
  m(SERVICE, 'services (grpcmetrics interceptor)', 'counter', 'grpc_client_requests_total', ['target', 'method', 'code']),
  m(SERVICE, 'services (grpcmetrics interceptor)', 'histogram', 'grpc_client_request_duration_seconds', ['target', 'method']),
  m(SERVICE, 'saga services (order, payment)', 'counter', 'saga_steps_total', ['step']),
  m(SERVICE, 'saga services (order, payment)', 'histogram', 'saga_step_duration_seconds', ['step']),
  // Services with `buildInfo: true`: always 1, the build in its labels.
  m(SERVICE, 'services with buildInfo', 'gauge', BUILD_INFO, ['version', 'revision']),
  // Services with `webhookEvents: true`: one count per webhook received, by the HTTP status answered.
  m(SERVICE, 'services with webhookEvents (payment webhooks)', 'counter', WEBHOOK_EVENTS, ['provider', 'event_type', 'status']),

  // ---- services instrumented with OpenTelemetry in milliseconds (`opentelemetry-ms`, e.g. Platform-Kernel) ---
  m(SERVICE, 'services (opentelemetry-ms)', 'histogram', 'http_server_request_duration_ms', ['service', 'method', 'route', 'status_code', 'tenant_id']),
  m(SERVICE, 'services (opentelemetry-ms)', 'counter', 'http_server_requests_total', ['service', 'method', 'route', 'status_code']),
  m(SERVICE, 'services (opentelemetry-ms)', 'histogram', 'grpc_server_request_duration_ms', ['service', 'method', 'status_code']),
  m(SERVICE, 'services (opentelemetry-ms)', 'histogram', 'grpc_client_request_duration_ms', ['service', 'target_service', 'method']),
  m(SERVICE, 'services (opentelemetry-ms)', 'histogram', 'db_query_duration_ms', ['service', 'operation', 'table']),
  m(SERVICE, 'services (opentelemetry-ms)', 'histogram', 'valkey_operation_duration_ms', ['service', 'command']),
  // Services with `signals.circuitBreaker: true`. 0 = closed, 1 = half-open, 2 = open.
  m(SERVICE, 'services with signals.circuitBreaker', 'gauge', 'circuit_breaker_state', ['service', 'target']),
  // From Debezium's PostgreSQL connector MBeans through the Java agent (src/instrumentation/jmx.ts); `server`
  // is the connector's topic prefix.
  m('java-agent', 'Debezium PostgreSQL connector (JMX, Java agent)', 'counter', 'debezium_source_connector_events_read_total', ['server']),
  m('java-agent', 'Debezium PostgreSQL connector (JMX, Java agent)', 'gauge', 'debezium_source_connector_lag_seconds', ['server']),
  m('java-agent', 'Debezium PostgreSQL connector (JMX, Java agent)', 'gauge', 'debezium_source_connector_snapshot_duration_seconds', ['server']),
  // ---- LLM calls (the AI service's openai.chat / anthropic.chat spans), derived by the collector gateway ----
  m('llm-spans', 'collector gateway spanmetrics (LLM call spans)', 'counter', LLM_METRICS.calls, [...LLM_SPAN_LABELS, ...SPANMETRICS_LABELS, SPANMETRICS_COLLECTOR_LABEL]),
  m('llm-spans', 'collector gateway spanmetrics (LLM call spans)', 'histogram', LLM_METRICS.duration, [...LLM_SPAN_LABELS, ...SPANMETRICS_LABELS, SPANMETRICS_COLLECTOR_LABEL]),
  m('llm-spans', 'collector gateway signal_to_metrics (span token attributes)', 'counter', LLM_METRICS.inputTokens, [...LLM_SPAN_LABELS, TOKENS_COLLECTOR_LABEL]),
  m('llm-spans', 'collector gateway signal_to_metrics (span token attributes)', 'counter', LLM_METRICS.outputTokens, [...LLM_SPAN_LABELS, TOKENS_COLLECTOR_LABEL]),
  m(SERVICE, 'services with dependencies: [vault]', 'gauge', 'vault_health_check_failed', ['service']),

  // ---- Kafka consumers, whatever their HTTP vocabulary ----------------------------
  // Platform-Kernel's services, an order projector and an analytics consumer all use these labels.
  m(SERVICE, 'Kafka consumers', 'gauge', 'kafka_consumer_lag', ['service', 'group_id', 'topic', 'partition']),

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

/**
 * Every series name a query may select, with the labels it may use: the
 * metrics above with their target labels, the `_bucket`/`_sum`/`_count` series
 * of histograms and summaries (`le` on buckets, `quantile` on summaries), and
 * the per-job scrape series; and the series the catalogue's services name themselves.
 */
export function seriesCatalogue(services: readonly Pick<ServiceConfig, 'signals'>[] = []): Map<string, SeriesSpec> {
  const out = new Map<string, SeriesSpec>();
  const add = (metric: string, labels: Iterable<string>) => {
    if (out.has(metric)) throw new Error(`metric catalogue: "${metric}" is declared twice`);
    out.set(metric, { metric, labels: new Set(labels) });
  };
  // The heartbeat gauges are named by the catalogue (services[].signals.heartbeat.metric), not by the platform.
  const heartbeats = [...new Set(services.flatMap((s) => (s.signals.heartbeat ? [s.signals.heartbeat.metric] : [])))];
  const declared = heartbeats.map((name) => m(SERVICE, 'services with signals.heartbeat', 'gauge', name, ['service']));
  for (const spec of [...METRICS, ...declared]) {
    const sources: readonly ScrapeSource[] = typeof spec.source === 'string' ? [spec.source] : spec.source;
    const labels = [...new Set([...spec.labels, ...sources.flatMap((source) => TARGET_LABELS[source])])];
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
