import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { databaseUrlEnv, PostgresSslMode } from '../components/postgres/postgres';
import { checkName } from '../lib/names';

/**
 * Where the stack's OpenTelemetry Collector listens (OTLP gRPC on 4317, OTLP
 * HTTP on 4318). The collector component must use the same Service name.
 */
export const OTEL_COLLECTOR = { serviceName: 'otel-collector', grpcPort: 4317, httpPort: 4318 } as const;

/** The platform's default health endpoints: liveness checks the process, readiness its database. */
export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const;

/** Which HTTP paths on `httpPort` the kubelet probes; `false` adds no such probe. */
export interface InstrumentProbes {
  /** @default '/health/live' */
  readonly liveness?: string | false;
  /** @default '/health/ready' */
  readonly readiness?: string | false;
}

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
  /** LOG_LEVEL. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The container to instrument. @default the first container */
  readonly containerName?: string;
  /**
   * Liveness and readiness probes on `httpPort`: other paths (`{ liveness: '/healthz', readiness: '/healthz' }`),
   * one of them off, or `false` for none. A probe the container already has is kept, never replaced.
   * @default { liveness: '/health/live', readiness: '/health/ready' }
   */
  readonly probes?: InstrumentProbes | false;
  /**
   * PostgreSQL connection: `PGUSER` and `PGPASSWORD` from an existing Secret
   * (by name and key only), and `DATABASE_URL` with no credential in it,
   * carrying `application_name=<service>` so every connection is attributed.
   * See `databaseUrlEnv`.
   * @default no database variables
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
    /**
     * @default 'disable', like the stack's own PostgreSQL, which serves no TLS; 'require' or
     * 'verify-full' for a server with a certificate.
     */
    readonly sslMode?: PostgresSslMode;
  };
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

/**
 * Applies the platform's instrumentation conventions to a user's cdk8s-plus
 * workload in one call: Prometheus scrape annotations, the OTLP exporter
 * environment pointing at the stack's collector, liveness and readiness probes
 * on the health endpoints, LOG_LEVEL and an attributed DATABASE_URL.
 */
export function instrument(workload: kplus.Deployment | kplus.StatefulSet | kplus.DaemonSet, opts: InstrumentOptions): void {
  checkName('instrument', 'service', opts.service, 'label');
  checkName('instrument', 'collectorNamespace', opts.collectorNamespace, 'label');
  // It is one value of the comma-separated OTEL_RESOURCE_ATTRIBUTES: "," or "=" would split it.
  if (typeof opts.environment !== 'string' || !/^[A-Za-z0-9][-_.A-Za-z0-9]{0,62}$/.test(opts.environment)) {
    throw new Error(`instrument: environment ${JSON.stringify(opts.environment)} must be letters, digits, "-", "_" and "." (at most 63), like "prod"`);
  }
  for (const [name, port] of [['httpPort', opts.httpPort], ['metricsPort', opts.metricsPort]] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new Error(`instrument: ${name} ${port} must be a port from 1 to 65535`);
    }
  }
  for (const [field, path] of [
    ['metricsPath', opts.metricsPath],
    ['probes.liveness', opts.probes ? opts.probes.liveness : undefined],
    ['probes.readiness', opts.probes ? opts.probes.readiness : undefined],
  ] as const) {
    if (path !== undefined && path !== false && !/^\/[^\s?#]*$/.test(path)) {
      throw new Error(`instrument: ${field} ${JSON.stringify(path)} must be an absolute URL path like "/healthz" (no spaces, query or fragment)`);
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
    const secretName = db.credentialsSecret;
    const vars = databaseUrlEnv({
      service: opts.service,
      host: db.host,
      port: db.port,
      database: db.name,
      user: { secretName, key: db.userKey ?? 'username' },
      password: { secretName, key: db.passwordKey ?? 'password' },
      sslmode: db.sslMode,
    });
    const secret = kplus.Secret.fromSecretName(workload, `${opts.service}-db-credentials`, secretName);
    for (const v of vars) {
      const ref = v.valueFrom?.secretKeyRef;
      container.env.addVariable(v.name, ref ? kplus.EnvValue.fromSecretValue({ secret, key: ref.key }) : kplus.EnvValue.fromValue(v.value!));
    }
  }

  // cdk8s-plus sets probes only at construction, so they are patched onto the container. The patch is
  // applied before the typed L1 conversion, so the port must be an IntOrString (a plain number is dropped).
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: kplus.k8s.IntOrString.fromNumber(opts.httpPort), scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  const probes = opts.probes === false ? { liveness: false as const, readiness: false as const } : (opts.probes ?? {});
  const own = container._toKube();
  const base = `/spec/template/spec/containers/${index}`;
  const patches: JsonPatch[] = [];
  const liveness = probes.liveness ?? HEALTH_PATHS.live;
  const readiness = probes.readiness ?? HEALTH_PATHS.ready;
  // Liveness is slower than readiness: a database outage should take the pod out of the Service, not restart it.
  if (liveness !== false && !own.livenessProbe) patches.push(JsonPatch.add(`${base}/livenessProbe`, probe(liveness, 20)));
  if (readiness !== false && !own.readinessProbe) patches.push(JsonPatch.add(`${base}/readinessProbe`, probe(readiness, 10)));
  if (patches.length > 0) ApiObject.of(workload).addJsonPatch(...patches);
}
