/**
 * The OpenTelemetry Collector's config, built as data, and the structural
 * rules every config we ship must follow. Component names are the current
 * upstream ones (`otlp_http`, `otlp_grpc`, `k8s_attributes`,
 * `prometheus_remote_write`, `load_balancing`); the old names still load but
 * log a deprecation warning at every start.
 */

import {
  DELTA_TO_CUMULATIVE_ID,
  deltaToCumulative,
  FILTER_ID,
  llmSpanFilter,
  llmSpanMetrics,
  llmTokenMetrics,
  SPANMETRICS_ID,
  TOKENS_ID,
} from './llm-metrics';

export const COLLECTOR_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, health: 13133, metrics: 8888 } as const;

/** The gateway's spans once memory_limiter has let them in: a forward connector to the Jaeger and LLM pipelines. */
const ADMITTED_SPANS = 'forward/admitted-spans';

/** Where file_storage keeps the persistent sending queues. */
export const QUEUE_DIR = '/var/lib/otelcol/queue';

export type Signal = 'metrics' | 'logs' | 'traces';

export interface Pipeline {
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface CollectorConfig {
  extensions: Record<string, unknown>;
  /** Both ends of a pipeline pair: the exporter of one pipeline and the receiver of another. */
  connectors?: Record<string, unknown>;
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, any>;
  service: {
    extensions: string[];
    pipelines: Record<string, Pipeline>;
    telemetry: Record<string, unknown>;
  };
}

const QUEUE_STORAGE = 'file_storage/queue';

/**
 * The largest batch an exporter sends, in bytes of OTLP protobuf. Every OTLP gRPC receiver it sends to (Jaeger's,
 * a central collector's) refuses a message over 4 MiB (`max_recv_msg_size_mib`'s default) as a permanent error,
 * and the exporter then drops the whole batch: a batch counted in items has no such bound (1000 spans of 16 KiB
 * are 16 MiB). 3 MiB keeps a quarter of headroom for the request's framing.
 */
const MAX_BATCH_BYTES = 3 * 2 ** 20;

/**
 * A persistent sending queue on the file_storage extension (the collector's default bound of 1000 requests), so
 * a long outage is held on disk instead of in memory, and a restart resumes where it stopped. It batches too
 * (1 MiB, about 1000 typical spans, or 10 s, whichever comes first; split at MAX_BATCH_BYTES): batching after the
 * queue keeps every item on disk until its batch is exported.
 * A batch processor in front of it would acknowledge items it holds only in memory, and a collector killed
 * (OOM, node loss) would lose up to 10 s of them.
 */
const persistentQueue = {
  enabled: true,
  storage: QUEUE_STORAGE,
  batch: { flush_timeout: '10s', sizer: 'bytes', min_size: 2 ** 20, max_size: MAX_BATCH_BYTES },
};
/**
 * The queue of an exporter that forwards to another collector (agent → gateway, agent cluster → central,
 * gateway → tail-sampling tier) flushes after 1 s: those hops are on the way to a tail sampler. The sampler
 * decides decision_wait after a trace's first spans reach it; spans still held upstream are late and share the
 * decision made without them, so an error span among them cannot keep its trace. One replica or node may hold a
 * trace's other spans a whole flush timeout while another's batch leaves at once: at 10 s per hop, that and a
 * service SDK's 5 s export delay exceeded the default decision_wait, and error traces were lost. Backends are
 * the last hop and keep the larger batches.
 */
const forwardingQueue = { ...persistentQueue, batch: { ...persistentQueue.batch, flush_timeout: '1s' } };
/**
 * Retry without a time limit (`max_elapsed_time: 0`): with the queue on disk, a
 * backend outage only delays data. A time limit would drop every batch still
 * queued when it runs out, which is the loss the persistent queue exists to avoid.
 * The bounded queue, not the clock, decides when data is refused (and the
 * collector's refused/enqueue-failed alerts fire).
 */
const retry = { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '0s' };

function otlpReceiver() {
  return {
    otlp: {
      protocols: {
        // Since v0.104 an empty endpoint binds localhost only, which no other pod can reach.
        grpc: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}` },
        http: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpHttp}` },
      },
    },
  };
}

function commonExtensions() {
  return {
    health_check: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.health}` },
    [QUEUE_STORAGE]: {
      directory: QUEUE_DIR,
      timeout: '2s',
      // Reclaims space after a long outage drained; without it the queue file only grows.
      compaction: { on_start: true, on_rebound: true, directory: QUEUE_DIR },
    },
  };
}

function telemetry() {
  return {
    metrics: {
      level: 'detailed',
      // The collector's own Prometheus exporter drops the type and unit suffixes by default since the
      // OpenTelemetry Go SDK took over its telemetry (`otelcol_receiver_accepted_spans`, `otelcol_process_uptime`):
      // without_type_suffix: false serves the classic names the rules, dashboards and every collector mixin read
      // (`otelcol_receiver_accepted_spans_total`, `otelcol_process_uptime_seconds_total`).
      readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: COLLECTOR_PORTS.metrics, without_type_suffix: false } } } }],
    },
    logs: { level: 'info', encoding: 'json' },
  };
}

/** memory_limiter as the fact sheet gives it: checked every second, refusing above 80% of the container limit. */
const memoryLimiter = { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 };

/**
 * Batches of 1000 items or 10 s, whichever comes first: as a processor only in front of the remote-write
 * exporter, which has no sending queue to batch in (see `persistentQueue` for the others).
 */
const batch = { timeout: '10s', send_batch_size: 1000 };

export interface GatewayConfigOptions {
  /** Value of `deployment.environment` on every item (one value per environment, like `prod` or `qa`). */
  readonly environment: string;
  /** Prometheus remote-write URL (`.../api/v1/write`), or VictoriaMetrics' when that backend is chosen. */
  readonly metricsRemoteWriteUrl: string;
  /** Loki's OTLP base URL (`http://loki...:3100/otlp`); the exporter appends `/v1/logs`. */
  readonly lokiOtlpUrl: string;
  /** Jaeger's OTLP/gRPC `host:port`. Exactly one of the three trace destinations is set. */
  readonly jaegerOtlpEndpoint?: string;
  /** An agent cluster: the central collector's OTLP/HTTP base URL, which receives this cluster's traces. */
  readonly tracesOtlpHttpUrl?: string;
  /**
   * Several gateway replicas: traces are spread by trace ID over the tail-sampling tier, found by DNS through
   * its headless Service, so every span of a trace reaches the same sampler.
   */
  readonly traceLoadBalancing?: { readonly samplerHostname: string };
  /** Set as k8s.cluster.name on every item (agent clusters). @default none */
  readonly clusterName?: string;
  /**
   * A central cluster: agent clusters' gateways send their traces here, already stamped with their own
   * environment and cluster. The environment is then set only where it is missing, so theirs is kept.
   * @default false (every item gets this environment)
   */
  readonly receivesAgentClusters?: boolean;
  /** Loki tenant (X-Scope-OrgID) of the logs this gateway pushes. @default none (single-tenant Loki) */
  readonly lokiTenant?: string;
  /** Labels added to every remote-written series (`cluster` when shipping to a central store). @default none */
  readonly metricsExternalLabels?: Readonly<Record<string, string>>;
}

/** The pod metadata the gateway's k8s_attributes puts on every item (and so, as labels, on remote-written series). */
export const GATEWAY_K8S_METADATA = [
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.node.name',
  'k8s.deployment.name',
  'k8s.statefulset.name',
  'k8s.daemonset.name',
  'k8s.container.name',
] as const;

/** The trace exporter of the gateway, by destination. */
function tracesExporter(opts: GatewayConfigOptions): { id: string; config: Record<string, unknown> } {
  const set = [opts.jaegerOtlpEndpoint, opts.tracesOtlpHttpUrl, opts.traceLoadBalancing].filter((d) => d !== undefined);
  if (set.length !== 1) {
    throw new Error(
      `collector gateway: exactly one trace destination is needed (jaegerOtlpEndpoint, tracesOtlpHttpUrl or traceLoadBalancing), got ${set.length}`,
    );
  }
  if (opts.traceLoadBalancing) {
    return {
      id: 'load_balancing/sampler',
      config: {
        // Every span of a trace goes to the same sampler, which can then decide on the whole trace.
        routing_key: 'traceID',
        protocol: { otlp: { tls: { insecure: true } } },
        // The exporter's `port` is a string field: a YAML number stops the collector at startup.
        resolver: { dns: { hostname: opts.traceLoadBalancing.samplerHostname, port: String(COLLECTOR_PORTS.otlpGrpc) } },
        sending_queue: forwardingQueue,
        retry_on_failure: retry,
      },
    };
  }
  if (opts.tracesOtlpHttpUrl) {
    return { id: 'otlp_http/central', config: { endpoint: opts.tracesOtlpHttpUrl, sending_queue: forwardingQueue, retry_on_failure: retry } };
  }
  return {
    id: 'otlp_grpc/jaeger',
    config: otlpGrpcExporter(opts.jaegerOtlpEndpoint),
  };
}

/** OTLP/gRPC to the next hop in the cluster, through the persistent queue, retrying until it answers. */
function otlpGrpcExporter(endpoint: string | undefined, queue: typeof persistentQueue = persistentQueue): Record<string, unknown> {
  return {
    endpoint,
    // In-cluster plaintext, like every other link of the stack.
    tls: { insecure: true },
    sending_queue: queue,
    retry_on_failure: retry,
  };
}

/**
 * The gateway: services send OTLP here; metrics go to Prometheus by remote
 * write, logs to Loki's native OTLP endpoint, traces to Jaeger over OTLP.
 */
export function gatewayConfig(opts: GatewayConfigOptions): CollectorConfig {
  const traces = tracesExporter(opts);
  const enrich = ['k8s_attributes', 'resource/environment'];
  const processors = ['memory_limiter', ...enrich];
  const remoteWrite = {
    endpoint: opts.metricsRemoteWriteUrl,
    // Resource attributes (service.name, k8s.*) become labels, so metrics can be filtered like the logs and traces.
    resource_to_telemetry_conversion: { enabled: true },
    // Names as the services' SDKs give them (dots to underscores, nothing appended): services instrumented with
    // OpenTelemetry in milliseconds name their metrics with the unit already in (http_server_request_duration_ms, unit "ms"), and the default strategy
    // would append it again (…_ms_milliseconds), which no dashboard or rule reads.
    translation_strategy: 'UnderscoreEscapingWithoutSuffixes',
    // One request at a time: the default 5 in parallel reorders one series' samples (the WAL sends up to
    // buffer_size entries at once), Prometheus refuses the older ones as out of order with a 400, and the
    // exporter drops that whole request as a permanent error, good samples included.
    max_batch_request_parallelism: 1,
    external_labels: opts.metricsExternalLabels ? { ...opts.metricsExternalLabels } : undefined,
    // This exporter has no exporterhelper sending_queue (upstream issue #33137): its write-ahead log on the
    // same volume is what keeps metrics across a Prometheus outage and a collector restart. The directory
    // keeps the exporter's former name, so an existing WAL is picked up again. Its reader sends what it holds
    // once truncate_frequency has passed (or buffer_size entries are read), at the next entry: at 1m, samples
    // reached Prometheus a minute late and alerts fired a minute late; 10s is one batch.
    wal: { directory: `${QUEUE_DIR}/prometheusremotewrite`, buffer_size: 300, truncate_frequency: '10s' },
    retry_on_failure: retry,
  };
  return {
    extensions: commonExtensions(),
    receivers: otlpReceiver(),
    // LLM calls' spans become provider/model metrics (llm-metrics.ts), here where every span passes before sampling.
    connectors: { [ADMITTED_SPANS]: {}, [SPANMETRICS_ID]: llmSpanMetrics(), [TOKENS_ID]: llmTokenMetrics() },
    processors: {
      memory_limiter: memoryLimiter,
      [FILTER_ID]: llmSpanFilter(),
      [DELTA_TO_CUMULATIVE_ID]: deltaToCumulative(),
      k8s_attributes: {
        auth_type: 'serviceAccount',
        passthrough: false,
        extract: { metadata: [...GATEWAY_K8S_METADATA] },
        // An agent (or an SDK) may already have set the pod; otherwise the sending connection names it.
        pod_association: [
          { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
          { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
          { sources: [{ from: 'connection' }] },
        ],
      },
      'resource/environment': {
        attributes: [
          { key: 'deployment.environment', value: opts.environment, action: opts.receivesAgentClusters ? 'insert' : 'upsert' },
          // Shipped to a central cluster, every item says which cluster it came from.
          ...(opts.clusterName ? [{ key: 'k8s.cluster.name', value: opts.clusterName, action: 'upsert' }] : []),
        ],
      },
      batch,
    },
    exporters: {
      prometheus_remote_write: remoteWrite,
      // The metrics the gateway derives from LLM spans are OpenTelemetry-native (`llm.calls`, unit s): they get
      // Prometheus' suffixes (llm_calls_total, llm_duration_seconds), which the services' own metrics must not.
      // Its own WAL: two exporters never share one.
      'prometheus_remote_write/llm': {
        ...remoteWrite,
        translation_strategy: 'UnderscoreEscapingWithSuffixes',
        wal: { ...remoteWrite.wal, directory: `${QUEUE_DIR}/prometheusremotewrite-llm` },
      },
      'otlp_http/loki': {
        endpoint: opts.lokiOtlpUrl,
        headers: opts.lokiTenant ? { 'X-Scope-OrgID': opts.lokiTenant } : undefined,
        sending_queue: persistentQueue,
        retry_on_failure: retry,
      },
      [traces.id]: traces.config,
    },
    service: {
      extensions: ['health_check', QUEUE_STORAGE],
      pipelines: {
        metrics: { receivers: ['otlp'], processors: [...processors, 'batch'], exporters: ['prometheus_remote_write'] },
        logs: { receivers: ['otlp'], processors, exporters: ['otlp_http/loki'] },
        // Spans are admitted once, then go two ways. When two pipelines both read the receiver, memory_limiter
        // can refuse a request in one after the other has queued it for Jaeger: the sender is answered 503 and
        // its retry is queued again (the overload test saw up to 37 000 of 48 000 spans stored twice).
        'traces/admission': { receivers: ['otlp'], processors: ['memory_limiter'], exporters: [ADMITTED_SPANS] },
        traces: { receivers: [ADMITTED_SPANS], processors: enrich, exporters: [traces.id] },
        // Its own pipeline, so the filter drops non-LLM spans from the metrics only, never from the traces.
        // No k8s_attributes: a second instance would watch every pod again, and the SDK's resource
        // (service.name, service.instance.id) already names the caller.
        // Batched before the connectors: signal_to_metrics sums per batch, so fewer, larger deltas.
        'traces/llm': {
          receivers: [ADMITTED_SPANS],
          processors: [FILTER_ID, 'resource/environment', 'batch'],
          exporters: [SPANMETRICS_ID, TOKENS_ID],
        },
        'metrics/llm': {
          receivers: [SPANMETRICS_ID, TOKENS_ID],
          processors: [DELTA_TO_CUMULATIVE_ID, 'batch'],
          exporters: ['prometheus_remote_write/llm'],
        },
      },
      telemetry: telemetry(),
    },
  };
}

export interface SamplerConfigOptions {
  readonly jaegerOtlpEndpoint: string;
  /** decision_wait, a Go duration. */
  readonly decisionWait: string;
  /** Share of ordinary traces kept. */
  readonly keepPercentage: number;
  /** Traces with a span slower than this are always kept (the latency SLO). */
  readonly slowThresholdMs: number;
}

/**
 * The tail-sampling tier: receives whole traces from the gateways' load_balancing
 * exporter, keeps every trace with an error or a span slower than the latency
 * SLO and a share of the rest, and sends what it keeps to Jaeger.
 */
export function samplerConfig(opts: SamplerConfigOptions): CollectorConfig {
  return {
    extensions: commonExtensions(),
    receivers: otlpReceiver(),
    processors: {
      memory_limiter: memoryLimiter,
      tail_sampling: {
        decision_wait: opts.decisionWait,
        // Traces held in memory while their decision waits; beyond it the oldest are decided early.
        num_traces: 100000,
        policies: [
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          { name: 'slow', type: 'latency', latency: { threshold_ms: opts.slowThresholdMs } },
          { name: 'baseline', type: 'probabilistic', probabilistic: { sampling_percentage: opts.keepPercentage } },
        ],
      },
    },
    exporters: {
      'otlp_grpc/jaeger': otlpGrpcExporter(opts.jaegerOtlpEndpoint),
    },
    service: {
      extensions: ['health_check', QUEUE_STORAGE],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling'], exporters: ['otlp_grpc/jaeger'] },
      },
      telemetry: telemetry(),
    },
  };
}

export interface AgentConfigOptions {
  /** The gateway's OTLP/gRPC `host:port`. */
  readonly gatewayEndpoint: string;
}

/**
 * The per-node agent: receives from the pods on its node, adds their
 * Kubernetes metadata (only this node's pods are watched) and forwards
 * everything to the gateway.
 */
export function agentConfig(opts: AgentConfigOptions): CollectorConfig {
  const processors = ['memory_limiter', 'k8s_attributes'];
  return {
    extensions: commonExtensions(),
    receivers: otlpReceiver(),
    processors: {
      memory_limiter: memoryLimiter,
      k8s_attributes: {
        auth_type: 'serviceAccount',
        passthrough: false,
        // Watch only this node's pods: a cluster-wide watch on every node multiplies the API server's load.
        filter: { node_from_env_var: 'K8S_NODE_NAME' },
        extract: { metadata: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.node.name', 'k8s.container.name'] },
        // The SDK's own pod UID (set by `instrument()`) first: behind a host port the connection may show the node.
        pod_association: [{ sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] }, { sources: [{ from: 'connection' }] }],
      },
    },
    exporters: {
      'otlp_grpc/gateway': otlpGrpcExporter(opts.gatewayEndpoint, forwardingQueue),
    },
    service: {
      extensions: ['health_check', QUEUE_STORAGE],
      pipelines: {
        metrics: { receivers: ['otlp'], processors, exporters: ['otlp_grpc/gateway'] },
        logs: { receivers: ['otlp'], processors, exporters: ['otlp_grpc/gateway'] },
        traces: { receivers: ['otlp'], processors, exporters: ['otlp_grpc/gateway'] },
      },
      telemetry: telemetry(),
    },
  };
}

/** Exporters whose durability is not the exporterhelper queue, and what replaces it. */
const OWN_PERSISTENCE: Record<string, (exporter: any) => boolean> = {
  prometheus_remote_write: (e) => typeof e?.wal?.directory === 'string' && e.wal.directory.startsWith(QUEUE_DIR),
};

/**
 * The structural rules of a collector config. Returns one message per
 * problem, naming the component and what is allowed; an empty list means the
 * config is sound.
 */
export function collectorConfigProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const used: Record<'receivers' | 'processors' | 'exporters', Set<string>> = {
    receivers: new Set(),
    processors: new Set(),
    exporters: new Set(),
  };
  const pipelines = Object.entries(config.service.pipelines);
  if (pipelines.length === 0) problems.push('service.pipelines is empty');

  const connectors = Object.keys(config.connectors ?? {});
  const connectorEnds = { receivers: new Set<string>(), exporters: new Set<string>() };
  for (const [name, pipeline] of pipelines) {
    const signal = name.split('/')[0];
    if (!['metrics', 'logs', 'traces'].includes(signal)) {
      problems.push(`pipeline "${name}": the signal must be metrics, logs or traces`);
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      if (kind !== 'processors' && pipeline[kind].length === 0) problems.push(`pipeline "${name}" has no ${kind}`);
      for (const id of pipeline[kind]) {
        used[kind].add(id);
        if (kind !== 'processors' && connectors.includes(id)) {
          connectorEnds[kind].add(id);
          continue;
        }
        if (!(id in config[kind])) {
          problems.push(`pipeline "${name}" uses ${kind.slice(0, -1)} "${id}", which is not defined (defined: ${Object.keys(config[kind]).join(', ')})`);
        }
      }
    }
    // What a receiver hands in is refused first, while its sender can still retry. What a connector hands on
    // has passed that gate already, and a refusal would lose it: connectors do not retry.
    if (pipeline.receivers.some((id) => !connectors.includes(id))) {
      if (pipeline.processors[0] !== 'memory_limiter') {
        problems.push(`pipeline "${name}": memory_limiter must be the first processor, got [${pipeline.processors.join(', ')}]`);
      }
    } else if (pipeline.processors.includes('memory_limiter')) {
      problems.push(`pipeline "${name}" is fed by connectors only: memory_limiter would drop what it refuses, as connectors do not retry`);
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    for (const id of Object.keys(config[kind])) {
      if (!used[kind].has(id)) problems.push(`${kind.slice(0, -1)} "${id}" is defined but no pipeline uses it`);
    }
  }
  for (const id of connectors) {
    for (const end of ['exporters', 'receivers'] as const) {
      if (!connectorEnds[end].has(id)) problems.push(`connector "${id}" is no pipeline's ${end.slice(0, -1)}: a connector needs both ends`);
    }
  }
  for (const id of Object.keys(config.extensions)) {
    if (!config.service.extensions.includes(id)) problems.push(`extension "${id}" is defined but not in service.extensions`);
  }
  for (const id of config.service.extensions) {
    if (!(id in config.extensions)) problems.push(`service.extensions names "${id}", which is not defined`);
  }

  for (const [id, receiver] of Object.entries(config.receivers)) {
    for (const endpoint of receiverEndpoints(receiver)) {
      if (endpoint.value === undefined || endpoint.value === null || endpoint.value === '') {
        problems.push(`receiver "${id}" ${endpoint.where}: the endpoint is empty, which binds localhost only; use 0.0.0.0:<port>`);
      } else if (/^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(String(endpoint.value))) {
        problems.push(`receiver "${id}" ${endpoint.where}: "${endpoint.value}" binds localhost only; use 0.0.0.0:<port>`);
      }
    }
  }

  for (const [id, exporter] of Object.entries(config.exporters)) {
    const type = id.split('/')[0];
    const own = OWN_PERSISTENCE[type];
    if (own) {
      if (!own(exporter)) problems.push(`exporter "${id}" has no persistent buffer under ${QUEUE_DIR}`);
      continue;
    }
    const storage = exporter?.sending_queue?.storage;
    if (exporter?.sending_queue?.enabled === false || typeof storage !== 'string') {
      problems.push(`exporter "${id}" has no persistent sending queue: set sending_queue.storage to a file_storage extension`);
    } else if (!storage.startsWith('file_storage') || !(storage in config.extensions)) {
      problems.push(`exporter "${id}": sending_queue.storage "${storage}" is not a defined file_storage extension`);
    }
  }
  return problems;
}

/** Every `endpoint` of a receiver, including those of its protocols (`protocols.grpc.endpoint`). */
function receiverEndpoints(receiver: any): Array<{ where: string; value: unknown }> {
  if (receiver?.protocols) {
    return Object.entries(receiver.protocols).map(([protocol, settings]: [string, any]) => ({
      where: `protocol ${protocol}`,
      value: settings?.endpoint,
    }));
  }
  return [{ where: 'endpoint', value: receiver?.endpoint }];
}
