import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { durationSeconds } from '../../lib/units';
import { configMapVolume, podTemplate, PodTemplateOptions, ResourceSpec, scratchVolume, secureContainer } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';
import { toYaml } from '../../lib/yaml';

export type TraceStorage = 'badger' | 'memory' | 'opensearch' | 'elasticsearch';

/**
 * The defaults of JaegerProps and SearchStore, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const JAEGER_DEFAULTS = {
  storage: 'badger',
  retention: '7d',
  maxTraces: 100000,
  storageSize: '10Gi',
  searchStore: { indexPrefix: 'jaeger', replicas: 2 },
} as const;

/** An existing OpenSearch or Elasticsearch cluster that holds the spans. */
export interface SearchStore {
  readonly serverUrls: readonly string[];
  /** @default 'jaeger' */
  readonly indexPrefix?: string;
  /** Basic-auth user and password from an existing Secret. @default none */
  readonly credentials?: { readonly secretName: string; readonly usernameKey: string; readonly passwordKey: string };
  /** Stateless replicas. @default 2 */
  readonly replicas?: number;
}

/** Environment variables the config expands (`${env:...}`) for the search store's basic auth. */
const SEARCH_USERNAME_ENV = 'JAEGER_SEARCH_USERNAME';
const SEARCH_PASSWORD_ENV = 'JAEGER_SEARCH_PASSWORD';

export interface JaegerProps {
  readonly namespace: string;
  /** @default 'badger': spans on a PersistentVolumeClaim, so they survive a restart. */
  readonly storage?: TraceStorage;
  /** How long Badger keeps spans, as a Prometheus-style duration. @default '7d' */
  readonly retention?: string;
  /** Traces memory storage keeps before dropping the oldest. @default 100000 */
  readonly maxTraces?: number;
  /** Size of Badger's PersistentVolumeClaim. @default '10Gi' */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Required with storage opensearch or elasticsearch. */
  readonly searchStore?: SearchStore;
  /** @default 100m/256Mi requests, 1 CPU/1Gi limits: a single-node cluster with a few hundred spans per second. */
  readonly resources?: ResourceSpec;
}

export const JAEGER_PORTS = { otlpGrpc: 4317, otlpHttp: 4318, ui: 16686, queryGrpc: 16685, health: 13133, metrics: 8888 } as const;
const NAME = 'jaeger';
const CONFIG_DIR = '/etc/jaeger';
const DATA_DIR = '/badger';
const STORE = 'traces';
/** The image's own non-root user. */
const JAEGER_UID = 10001;
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

/** Go's time.Duration has no days: Badger's ttl wants hours. */
function goDuration(prometheusDuration: string): string {
  const seconds = durationSeconds(prometheusDuration);
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`;
}

/**
 * Jaeger v2's own config: an OpenTelemetry-Collector-style file with the
 * `jaeger_storage` and `jaeger_query` extensions. Every endpoint is written out
 * with 0.0.0.0, because an empty endpoint binds localhost only and the
 * Service would reach nothing.
 */
export function jaegerConfig(opts: {
  storage: TraceStorage;
  retention: string;
  maxTraces: number;
  searchStore?: SearchStore;
}): Record<string, unknown> {
  const backend =
    opts.storage === 'opensearch' || opts.storage === 'elasticsearch'
      ? { [opts.storage]: searchBackend(opts.storage, opts.searchStore) }
      : opts.storage === 'badger'
      ? {
          badger: {
            directories: { keys: `${DATA_DIR}/keys`, values: `${DATA_DIR}/values` },
            ephemeral: false,
            ttl: { spans: goDuration(opts.retention) },
          },
        }
      : { memory: { max_traces: opts.maxTraces } };
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: {
        resource: { 'service.name': NAME },
        metrics: {
          level: 'detailed',
          readers: [{ pull: { exporter: { prometheus: { host: '0.0.0.0', port: JAEGER_PORTS.metrics } } } }],
        },
        logs: { level: 'info' },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${JAEGER_PORTS.health}` } },
      jaeger_query: {
        storage: { traces: STORE },
        // Jaeger v2 traces its own query API by default, over OTLP to localhost:4317: its own receiver. Those spans
        // fill the store and the service list with "jaeger", and at shutdown the receiver is already closed when
        // the last batch is flushed: grpc warnings and a 10 s export timeout before Badger is closed.
        enable_tracing: false,
        http: { endpoint: `0.0.0.0:${JAEGER_PORTS.ui}` },
        grpc: { endpoint: `0.0.0.0:${JAEGER_PORTS.queryGrpc}` },
      },
      jaeger_storage: { backends: { [STORE]: backend } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${JAEGER_PORTS.otlpGrpc}` },
          http: { endpoint: `0.0.0.0:${JAEGER_PORTS.otlpHttp}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: STORE } },
  };
}

/** The `elasticsearch` / `opensearch` backend of jaeger_storage (same shape for both). */
function searchBackend(storage: TraceStorage, store: SearchStore | undefined): Record<string, unknown> {
  if (!store) throw new Error(`Jaeger: storage "${storage}" needs a searchStore (server URLs), got none`);
  return {
    server_urls: [...store.serverUrls],
    // Jaeger's defaults already write daily indices (`<prefix>-jaeger-span-2006-01-02`, rollover_frequency day),
    // so the cluster's lifecycle policy (ISM/ILM) can drop whole days: Jaeger never deletes spans itself.
    indices: { index_prefix: store.indexPrefix ?? JAEGER_DEFAULTS.searchStore.indexPrefix },
    // The password never enters the ConfigMap: the collector-style config expands it from the pod's environment.
    auth: store.credentials
      ? { basic: { username: `\${env:${SEARCH_USERNAME_ENV}}`, password: `\${env:${SEARCH_PASSWORD_ENV}}` } }
      : undefined,
  };
}

/** Jaeger's query URL (Grafana's datasource) and OTLP/gRPC endpoint (`host:port`, the collector's exporter) in `namespace`. */
export function jaegerEndpoints(namespace: string): { queryUrl: string; otlpGrpcEndpoint: string } {
  return { queryUrl: `http://${NAME}.${namespace}.svc:${JAEGER_PORTS.ui}`, otlpGrpcEndpoint: `${NAME}.${namespace}.svc:${JAEGER_PORTS.otlpGrpc}` };
}

/**
 * Jaeger v2 as a single-replica StatefulSet: OTLP in on 4317/4318, the UI and
 * query API on 16686 (Grafana's Jaeger datasource), health on 13133 for the
 * probes and its own metrics on 8888. With Badger the spans live on a
 * PersistentVolumeClaim; Badger is single-writer, so one replica is the only
 * correct count.
 */
export class Jaeger extends Construct {
  /** Query/UI URL, for Grafana's Jaeger datasource. */
  public readonly queryUrl: string;
  /** OTLP/gRPC endpoint (`host:port`), for the collector's traces exporter. */
  public readonly otlpGrpcEndpoint: string;
  public readonly scrapeJob: ScrapeJob;
  public readonly serviceName = NAME;

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    const ns = props.namespace;
    const storage = props.storage ?? JAEGER_DEFAULTS.storage;
    const maxTraces = props.maxTraces ?? JAEGER_DEFAULTS.maxTraces;
    if (!Number.isInteger(maxTraces) || maxTraces < 1) {
      throw new Error(`Jaeger: maxTraces must be a positive whole number, got ${maxTraces}`);
    }
    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'traces-backend', image: IMAGES.jaeger }, ns);
    ({ queryUrl: this.queryUrl, otlpGrpcEndpoint: this.otlpGrpcEndpoint } = jaegerEndpoints(ns));

    const search = storage === 'opensearch' || storage === 'elasticsearch';
    const configYaml = toYaml(jaegerConfig({ storage, retention: props.retention ?? JAEGER_DEFAULTS.retention, maxTraces, searchStore: props.searchStore }));
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(`${NAME}-config`),
      data: { 'config.yaml': configYaml },
    });

    const sa = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: metadata(NAME),
      automountServiceAccountToken: false,
    });

    const ports: k8s.ContainerPort[] = [
      { name: 'otlp-grpc', containerPort: JAEGER_PORTS.otlpGrpc },
      { name: 'otlp-http', containerPort: JAEGER_PORTS.otlpHttp },
      { name: 'ui', containerPort: JAEGER_PORTS.ui },
      { name: 'query-grpc', containerPort: JAEGER_PORTS.queryGrpc },
      { name: 'health', containerPort: JAEGER_PORTS.health },
      { name: 'metrics', containerPort: JAEGER_PORTS.metrics },
    ];
    const credentials = props.searchStore?.credentials;
    const container = secureContainer({
      name: NAME,
      image: IMAGES.jaeger,
      args: [`--config=${CONFIG_DIR}/config.yaml`],
      env:
        search && credentials
          ? [
              { name: SEARCH_USERNAME_ENV, valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.usernameKey } } },
              { name: SEARCH_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: credentials.secretName, key: credentials.passwordKey } } },
            ]
          : undefined,
      ports,
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { path: '/status', port: 'health' },
      readiness: { path: '/status', port: 'health' },
      // Badger replays its value log after an unclean stop; give it a few minutes.
      startupFailureThreshold: storage === 'badger' ? 30 : undefined,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'data', mountPath: DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    });

    // Memory storage keeps nothing on disk, but the mount stays so both shapes run the same container spec.
    const volumes: k8s.Volume[] = [configMapVolume('config', configMap.name), scratchVolume('tmp')];
    if (storage === 'memory' || search) volumes.push(scratchVolume('data'));
    const pod: PodTemplateOptions = {
      labels,
      annotations: { 'checksum/config': contentHash(configYaml) },
      serviceAccountName: sa.name,
      automountServiceAccountToken: false,
      // Badger flushes its memtables and closes the value log on shutdown; cut short, it replays on the next start.
      // With a search store the same time lets the exporter flush its last batch.
      terminationGracePeriodSeconds: 60,
      security: { runAsUser: JAEGER_UID, fsGroup: JAEGER_UID },
      containers: [container],
      volumes,
    };

    if (search) {
      // The spans live in the search cluster, so Jaeger is stateless: several replicas share the OTLP load and the queries.
      new k8s.KubeDeployment(this, 'deployment', {
        metadata: metadata(NAME),
        spec: { replicas: props.searchStore?.replicas ?? JAEGER_DEFAULTS.searchStore.replicas, selector: { matchLabels: selector }, template: podTemplate(pod) },
      });
    } else singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(NAME),
      selector,
      ...pod,
      volumeClaim: storage === 'badger' ? { name: 'data', size: props.storageSize ?? JAEGER_DEFAULTS.storageSize, storageClassName: props.storageClassName } : undefined,
    });

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: {
        selector,
        ports: ports
          .filter((p) => p.name !== 'health')
          .map((p) => ({ name: p.name, port: p.containerPort, targetPort: k8s.IntOrString.fromString(p.name!) })),
      },
    });

    this.scrapeJob = componentScrapeJob({ job: NAME, namespace: ns, appName: NAME, portName: 'metrics' });
  }
}
