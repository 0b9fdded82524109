/**
 * JMX metrics of a Java service (the JVM, Kafka, Debezium) into the stack's metrics pipeline, through the
 * OpenTelemetry Java agent's JMX metrics module running inside the service's own JVM, exporting OTLP to the
 * collector gateway like every other instrumented service.
 *
 * Why the agent in the process, and not a scraper beside it (the OpenTelemetry JMX scraper as a Deployment, or
 * the collector's `jmx` receiver, which needs a collector image with a Java runtime and the JMX gatherer jar):
 * - a remote scraper needs the service to open a remote JMX (RMI) port, which has no authentication unless
 *   JMX passwords and TLS are managed for it; in the process, nothing listens;
 * - the agent ships the same JMX rule engine and YAML rule format as the scraper (the scraper is a standalone
 *   wrapper of it), so the Debezium rules below would move unchanged;
 * - no extra workload per JMX target, and the series carry the pod's resource like the service's other OTLP data;
 * - neither the scraper's jar nor the gatherer jar is served by the package registry this project's machines
 *   and CI reach, so neither could be tested on the real binary here; the agent's jar is.
 * The agent comes from the OpenTelemetry Operator's `autoinstrumentation-java` image (the jar at
 * /javaagent.jar), copied by an init container into a volume the service's container reads.
 */
import { stringify } from 'yaml';

/** The agent's image; its tag is the agent's version (the tests resolve the same jar from Maven Central). */
export const JAVA_AGENT_JAR_IN_IMAGE = '/javaagent.jar';
export const JAVA_AGENT_DIR = '/otel-java-agent';
export const JMX_RULES_DIR = '/otel-jmx';
export const JMX_RULES_FILE = 'rules.yaml';

/**
 * What each target system turns on in the agent. `jvm` is the agent's runtime telemetry (stable JVM metrics);
 * the others are the agent's bundled JMX rule sets, which are still unstable and are opted into by metric name.
 */
export const JMX_TARGET_SYSTEMS = {
  jvm: { runtimeTelemetry: true },
  'kafka-broker': { experimentalMetrics: 'kafka.*' },
  'kafka-connect': { experimentalMetrics: 'kafka.connect.*' },
} as const satisfies Record<string, { runtimeTelemetry?: boolean; experimentalMetrics?: string }>;
export type JmxTargetSystem = keyof typeof JMX_TARGET_SYSTEMS;

/**
 * The resource attributes the agent's series carry (besides the pod's, added by the gateway): what
 * `instrument()` sets in OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, the service instance, the SDK and
 * distribution, and the container ID from the container detector.
 */
export const JAVA_AGENT_RESOURCE_ATTRIBUTES = [
  'service.name',
  'service.namespace',
  'service.instance.id',
  'deployment.environment',
  'k8s.container.name',
  'k8s.pod.uid',
  'container.id',
  'telemetry.sdk.language',
  'telemetry.sdk.name',
  'telemetry.sdk.version',
  'telemetry.distro.name',
  'telemetry.distro.version',
] as const;

export interface JmxOptions {
  readonly targetSystems: readonly JmxTargetSystem[];
  /** The service runs Debezium's PostgreSQL connector: its MBeans become the `debezium_source_connector_*` series. */
  readonly debezium?: boolean;
}

/**
 * Debezium's PostgreSQL connector MBeans (`debezium.postgres:type=connector-metrics,context=...,server=<topic prefix>`)
 * mapped to the names the metric catalogue and the CDC alerts use. Remote write keeps names as given (no unit or
 * `_total` appended: the services' own metrics carry theirs), so the names here carry them:
 * - MilliSecondsBehindSource (ms) → `debezium_source_connector_lag_seconds` (converted to seconds);
 * - TotalNumberOfEventsSeen → `debezium_source_connector_events_read_total`;
 * - SnapshotDurationInSeconds → `debezium_source_connector_snapshot_duration_seconds`.
 * Debezium exposes no WAL size: WALBloatCritical reads the WAL its slot holds back from postgres_exporter instead.
 */
export function debeziumJmxRules(): Record<string, unknown> {
  const bean = (context: string) => `debezium.postgres:type=connector-metrics,context=${context},server=*`;
  const common = { prefix: 'debezium.source_connector.', metricAttribute: { server: 'param(server)' } };
  return {
    rules: [
      {
        bean: bean('streaming'),
        ...common,
        mapping: {
          MilliSecondsBehindSource: { metric: 'lag_seconds', type: 'gauge', sourceUnit: 'ms', unit: 's', desc: 'How far the connector is behind the source database.' },
          TotalNumberOfEventsSeen: { metric: 'events_read_total', type: 'counter', unit: '{event}', desc: 'Change events read from the source database.' },
        },
      },
      {
        bean: bean('snapshot'),
        ...common,
        mapping: {
          SnapshotDurationInSeconds: { metric: 'snapshot_duration_seconds', type: 'gauge', unit: 's', desc: 'How long the last snapshot took.' },
        },
      },
    ],
  };
}

/** The rules file the agent reads, or none when the service declares no rules of its own. */
export function jmxRulesFile(opts: JmxOptions): string | undefined {
  return opts.debezium ? stringify(debeziumJmxRules()) : undefined;
}

/**
 * The agent's environment: only its metrics (JMX and, for `jvm`, runtime telemetry), none of its tracing
 * instrumentation, since the service may already be traced in its own way and the point here is JMX.
 */
export function jmxAgentEnv(opts: JmxOptions): Record<string, string> {
  if (opts.targetSystems.length === 0) throw new Error('jmx: targetSystems is empty; name at least one of ' + Object.keys(JMX_TARGET_SYSTEMS).join(', '));
  const unknown = opts.targetSystems.filter((t) => !(t in JMX_TARGET_SYSTEMS));
  if (unknown.length > 0) throw new Error(`jmx: unknown target system ${unknown.join(', ')}; allowed: ${Object.keys(JMX_TARGET_SYSTEMS).join(', ')}`);
  const systems = opts.targetSystems.map((t) => JMX_TARGET_SYSTEMS[t] as { runtimeTelemetry?: boolean; experimentalMetrics?: string });
  const experimental = systems.map((s) => s.experimentalMetrics).filter((m): m is string => m !== undefined);
  return {
    JAVA_TOOL_OPTIONS: `-javaagent:${JAVA_AGENT_DIR}/javaagent.jar`,
    OTEL_INSTRUMENTATION_COMMON_DEFAULT_ENABLED: 'false',
    OTEL_INSTRUMENTATION_JMX_METRICS_ENABLED: 'true',
    OTEL_INSTRUMENTATION_RUNTIME_TELEMETRY_ENABLED: String(systems.some((s) => s.runtimeTelemetry)),
    ...(experimental.length > 0 ? { OTEL_JMX_METRICS_EXPERIMENTAL_INCLUDED: experimental.join(',') } : {}),
    ...(opts.debezium ? { OTEL_JMX_CONFIG: `${JMX_RULES_DIR}/${JMX_RULES_FILE}` } : {}),
    // The agent's process, host and OS detectors would put the command line, the PID and the kernel version on
    // every series as labels (remote write converts the resource): a new series at each restart, for facts the
    // pod's Kubernetes metadata (added by the gateway) already gives.
    OTEL_JAVA_DISABLED_RESOURCE_PROVIDERS: [
      'ProcessResourceProvider',
      'ProcessRuntimeResourceProvider',
      'HostResourceProvider',
      'HostIdResourceProvider',
      'OsResourceProvider',
    ]
      .map((c) => `io.opentelemetry.instrumentation.resources.${c}`)
      .join(','),
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    // Every 15 s like Prometheus' scrapes, not the SDK's default minute: a lag alert then sees a rise quickly.
    OTEL_METRIC_EXPORT_INTERVAL: '15000',
  };
}
