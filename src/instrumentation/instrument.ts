import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IMAGES, imageName } from '../lib/images';
import { JAVA_AGENT_DIR, JAVA_AGENT_JAR_IN_IMAGE, jmxAgentEnv, JmxOptions, jmxRulesFile, JMX_RULES_DIR, JMX_RULES_FILE } from './jmx';

/**
 * Where the stack's OpenTelemetry Collector listens (seed 2's receivers:
 * OTLP gRPC on 4317, OTLP HTTP on 4318). The collector component must use the
 * same Service name.
 */
export const OTEL_COLLECTOR = { serviceName: 'otel-collector', grpcPort: 4317, httpPort: 4318 } as const;

/** Seed 2's health endpoints: liveness checks the process, readiness its database. */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const;

export interface InstrumentOptions {
  /** The service name: OTEL_SERVICE_NAME, the pods' `app.kubernetes.io/name` (the `app` label of its series) and the DSN's application_name. */
  readonly service: string;
  /** Namespace of the stack's collector (the config's `namespaces.monitoring`). */
  readonly collectorNamespace: string;
  /** The `deployment.environment` resource attribute, e.g. `prod`. */
  readonly environment: string;
  /** Port the service serves HTTP and its health endpoints on. */
  readonly httpPort: number;
  /** Port of `/metrics`. @default httpPort */
  readonly metricsPort?: number;
  /** @default '/metrics' */
  readonly metricsPath?: string;
  /** OTLP transport. @default 'grpc' (port 4317; 'http/protobuf' uses 4318) */
  readonly otlpProtocol?: 'grpc' | 'http/protobuf';
  /** LOG_LEVEL (seed 2: global default info). @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The container to instrument. @default the first container */
  readonly containerName?: string;
  /**
   * PostgreSQL connection: DATABASE_URL gets `application_name=<service>` so
   * every connection is attributed (seed 1, ADR 10). The user name and
   * password come from an existing Secret, by name and key only.
   * @default no DATABASE_URL
   */
  readonly database?: {
    readonly host: string;
    /** @default 5432 */
    readonly port?: number;
    readonly name: string;
    readonly credentialsSecret: string;
    /** @default 'username' */
    readonly userKey?: string;
    /** @default 'password' */
    readonly passwordKey?: string;
    /** @default 'require' */
    readonly sslMode?: 'disable' | 'require' | 'verify-full';
  };
  /**
   * A Java service's JMX metrics (the service catalogue's `jmx`): the OpenTelemetry Java agent runs in its JVM
   * and sends them over OTLP to the collector (see jmx.ts for why in the process).
   * @default no agent
   */
  readonly jmx?: JmxOptions;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

/**
 * Applies the platform's instrumentation conventions to a user's cdk8s-plus
 * workload in one call: Prometheus scrape annotations, the OTLP exporter
 * environment pointing at the stack's collector, liveness and readiness probes
 * on the health endpoints, LOG_LEVEL and an attributed DATABASE_URL.
 */
export function instrument(workload: kplus.Deployment | kplus.StatefulSet | kplus.DaemonSet, opts: InstrumentOptions): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.service)) {
    throw new Error(`instrument: service "${opts.service}" must be a DNS label (lower-case letters, digits and "-")`);
  }
  for (const [name, port] of [['httpPort', opts.httpPort], ['metricsPort', opts.metricsPort]] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new Error(`instrument: ${name} ${port} must be a port from 1 to 65535`);
    }
  }
  const logLevel = opts.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`instrument: logLevel "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);

  const containers = workload.containers;
  const index = opts.containerName ? containers.findIndex((c) => c.name === opts.containerName) : 0;
  if (containers.length === 0 || index < 0) {
    const names = containers.map((c) => c.name).join(', ') || 'none';
    throw new Error(`instrument: no container "${opts.containerName ?? '(first)'}" in the workload; it has: ${names}`);
  }
  const container = containers[index];

  workload.podMetadata.addLabel('app.kubernetes.io/name', opts.service);
  workload.podMetadata.addAnnotation('prometheus.io/scrape', 'true');
  workload.podMetadata.addAnnotation('prometheus.io/port', String(opts.metricsPort ?? opts.httpPort));
  workload.podMetadata.addAnnotation('prometheus.io/path', opts.metricsPath ?? '/metrics');

  const protocol = opts.otlpProtocol ?? 'grpc';
  const port = protocol === 'grpc' ? OTEL_COLLECTOR.grpcPort : OTEL_COLLECTOR.httpPort;
  const env = (name: string, value: string) => container.env.addVariable(name, kplus.EnvValue.fromValue(value));
  env('OTEL_SERVICE_NAME', opts.service);
  env('OTEL_EXPORTER_OTLP_ENDPOINT', `http://${OTEL_COLLECTOR.serviceName}.${opts.collectorNamespace}.svc:${port}`);
  env('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
  // The collector's k8s_attributes adds the pod's metadata but names the container (Loki's k8s_container_name
  // label) only when the data already carries container.id or k8s.container.name, which an SDK does not
  // know: the container's name is set here, as its README advises. The pod's UID from the downward API lets
  // the collector find the pod even when the connection is not the pod's own (an agent, a proxy, SNAT).
  container.env.addVariable('OTEL_K8S_POD_UID', kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_UID));
  env(
    'OTEL_RESOURCE_ATTRIBUTES',
    [
      `deployment.environment=${opts.environment}`,
      `service.namespace=${workload.metadata.namespace ?? 'default'}`,
      `k8s.container.name=${container.name}`,
      // $(VAR) is expanded by the kubelet from the variable above.
      'k8s.pod.uid=$(OTEL_K8S_POD_UID)',
    ].join(','),
  );
  env('LOG_LEVEL', logLevel);

  if (opts.database) {
    const db = opts.database;
    const secret = kplus.Secret.fromSecretName(workload, `${opts.service}-db-credentials`, db.credentialsSecret);
    container.env.addVariable('DATABASE_USER', kplus.EnvValue.fromSecretValue({ secret, key: db.userKey ?? 'username' }));
    container.env.addVariable('DATABASE_PASSWORD', kplus.EnvValue.fromSecretValue({ secret, key: db.passwordKey ?? 'password' }));
    // $(VAR) is expanded by the kubelet from the variables above, so no credential is ever in the manifest.
    env(
      'DATABASE_URL',
      `postgres://$(DATABASE_USER):$(DATABASE_PASSWORD)@${db.host}:${db.port ?? 5432}/${db.name}` +
        `?sslmode=${db.sslMode ?? 'require'}&application_name=${opts.service}`,
    );
  }

  if (opts.jmx) addJmxAgent(workload, container, opts.service, opts.jmx);

  // cdk8s-plus sets probes only at construction, so they are patched onto the container. The patch is
  // applied before the typed L1 conversion, so the port must be an IntOrString (a plain number is dropped).
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: kplus.k8s.IntOrString.fromNumber(opts.httpPort), scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  const base = `/spec/template/spec/containers/${index}`;
  ApiObject.of(workload).addJsonPatch(
    // Liveness is slower than readiness: a database outage should take the pod out of the Service, not restart it.
    JsonPatch.add(`${base}/livenessProbe`, probe(HEALTH_PATHS.live, 20)),
    JsonPatch.add(`${base}/readinessProbe`, probe(HEALTH_PATHS.ready, 10)),
  );
}

/**
 * The OpenTelemetry Java agent in the service's container: an init container copies the jar from the agent's
 * image into a volume, JAVA_TOOL_OPTIONS loads it in whatever JVM the container starts, and the service's
 * own JMX rules (Debezium's) come from a ConfigMap.
 */
function addJmxAgent(workload: kplus.Deployment | kplus.StatefulSet | kplus.DaemonSet, container: kplus.Container, service: string, jmx: JmxOptions): void {
  const env = jmxAgentEnv(jmx);
  if (container.env.variables.JAVA_TOOL_OPTIONS) {
    throw new Error(`instrument: the container "${container.name}" already sets JAVA_TOOL_OPTIONS; jmx needs it to load the agent`);
  }
  const agentVolume = kplus.Volume.fromEmptyDir(workload, `${service}-otel-java-agent`, 'otel-java-agent', { sizeLimit: Size.mebibytes(64) });
  workload.addInitContainer({
    name: 'otel-java-agent',
    image: imageName(IMAGES.otelJavaAgent),
    command: ['cp', JAVA_AGENT_JAR_IN_IMAGE, `${JAVA_AGENT_DIR}/javaagent.jar`],
    volumeMounts: [{ path: JAVA_AGENT_DIR, volume: agentVolume }],
    securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    resources: {
      cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
      memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
    },
  });
  container.mount(JAVA_AGENT_DIR, agentVolume, { readOnly: true });
  const rules = jmxRulesFile(jmx);
  if (rules !== undefined) {
    const configMap = new kplus.ConfigMap(workload, `${service}-jmx-rules`, { data: { [JMX_RULES_FILE]: rules } });
    container.mount(JMX_RULES_DIR, kplus.Volume.fromConfigMap(workload, `${service}-jmx-rules-volume`, configMap, { name: 'otel-jmx-rules' }), { readOnly: true });
  }
  for (const [name, value] of Object.entries(env)) container.env.addVariable(name, kplus.EnvValue.fromValue(value));
}
