import { Construct } from 'constructs';
import { ScrapeJob } from '../../lib/scrape';
import { durationSeconds } from '../../lib/units';
import { toYaml } from '../../lib/yaml';
import { RenderedRuleGroup } from '../../kit/rule-model';
import {
  LOKI_DATA_DIR,
  LOKI_GRPC_PORT,
  LOKI_HTTP_PORT,
  LOKI_NAME,
  LOKI_RULES_DIR,
  lokiConfigObjects,
  lokiContainer,
  lokiEndpoints,
  lokiIdentity,
  lokiPod,
  lokiScrapeJob,
  lokiService,
  lokiServiceAccount,
} from './common';
import { ResourceSpec } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';

/** Ingestion limits, in Loki's own units (limits_config). */
export interface LokiIngestionLimits {
  readonly rateMB: number;
  readonly burstMB: number;
  readonly perStreamRateMB: number;
  readonly perStreamBurstMB: number;
  readonly maxLineSizeKB: number;
  readonly maxStreams: number;
}

/**
 * The defaults of LokiProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const LOKI_DEFAULTS = {
  retention: '14d',
  storageSize: '20Gi',
} as const;

export interface LokiProps {
  readonly namespace: string;
  /** limits_config.retention_period, whole days. @default '14d' */
  readonly retention?: string;
  /** @default DEFAULT_INGESTION_LIMITS */
  readonly ingestion?: LokiIngestionLimits;
  /** @default '20Gi' */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 250m/512Mi requests, 1 CPU/2Gi limits */
  readonly resources?: ResourceSpec;
  /**
   * LogQL recording rules for Loki's ruler (e.g. the count of auto_explain
   * plans behind PostgresAutoExplainStalled). Their results are remote-written
   * to `rulerRemoteWriteUrl`, so Prometheus alerts can use them.
   * @default none: the ruler stays off
   */
  readonly recordingRules?: readonly RenderedRuleGroup[];
  /** Prometheus' remote-write endpoint; required with `recordingRules`. */
  readonly rulerRemoteWriteUrl?: string;
  /**
   * auth_enabled: every push and query names its tenant (X-Scope-OrgID), and the recording rules run as this
   * tenant. @default undefined: single tenant (`fake`)
   */
  readonly tenant?: string;
}

export { LOKI_DATA_DIR, LOKI_GRPC_PORT, LOKI_HTTP_PORT, LOKI_NAME, LOKI_RULES_DIR, LOKI_UID } from './common';
const DATA_DIR = LOKI_DATA_DIR;
const RULES_DIR = LOKI_RULES_DIR;

export const DEFAULT_INGESTION_LIMITS: LokiIngestionLimits = {
  rateMB: 8,
  burstMB: 16,
  perStreamRateMB: 3,
  perStreamBurstMB: 15,
  maxLineSizeKB: 256,
  maxStreams: 10000,
};

export const LOKI_DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '1', memory: '2Gi' },
};

/**
 * Why Loki cannot keep logs for `retention`, or undefined when it can. The compactor deletes whole index
 * tables, one per 24h period (schema_config index.period), so a retention that is not whole days would be
 * rounded in ways nobody expects. The config check and the construct both ask here.
 */
export function lokiRetentionProblem(retention: string): string | undefined {
  const seconds = durationSeconds(retention);
  if (seconds >= 86400 && seconds % 86400 === 0) return undefined;
  return `"${retention}" is not whole days; Loki deletes logs per 24h index period, so use whole days of at least 1d like "14d"`;
}

/** Loki's `168h`-style duration for a whole number of days. */
function lokiHours(duration: string): string {
  const problem = lokiRetentionProblem(duration);
  if (problem) throw new Error(`Loki retention ${problem}`);
  return `${durationSeconds(duration) / 3600}h`;
}

/** The monolithic Loki configuration: one process, filesystem storage, tsdb index, retention applied by the compactor. */
export function lokiConfig(opts: {
  retention: string;
  ingestion: LokiIngestionLimits;
  /** Turns the ruler on, remote-writing recorded series here. */
  rulerRemoteWriteUrl?: string;
  /** auth_enabled with multi-tenant queries (a central cluster). @default false */
  multiTenant?: boolean;
}): Record<string, unknown> {
  const limits = opts.ingestion;
  return {
    // Single cluster: one tenant ("fake"), isolation is per environment. A central cluster (topology.role central)
    // keeps each cluster's logs under its own tenant (X-Scope-OrgID) and lets Grafana query several at once.
    auth_enabled: opts.multiTenant ?? false,
    ...(opts.multiTenant ? { querier: { multi_tenant_queries_enabled: true } } : {}),
    server: { http_listen_port: LOKI_HTTP_PORT, grpc_listen_port: LOKI_GRPC_PORT, log_level: 'info' },
    common: {
      path_prefix: DATA_DIR,
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' }, instance_addr: '127.0.0.1' },
      storage: { filesystem: { chunks_directory: `${DATA_DIR}/chunks`, rules_directory: RULES_DIR } },
    },
    schema_config: {
      configs: [
        // tsdb + v13 is what structured metadata (trace ids) and OTLP ingestion need.
        { from: '2024-04-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } },
      ],
    },
    ingester: { wal: { dir: `${DATA_DIR}/wal` } },
    compactor: {
      working_directory: `${DATA_DIR}/compactor`,
      compaction_interval: '10m',
      // Without retention_enabled AND a delete_request_store, Loki keeps every line forever
      // and the disk fills: retention_period alone does nothing.
      retention_enabled: true,
      delete_request_store: 'filesystem',
      // Time to cancel a mistaken delete request before chunks really go.
      retention_delete_delay: '2h',
    },
    limits_config: {
      retention_period: lokiHours(opts.retention),
      ingestion_rate_mb: limits.rateMB,
      ingestion_burst_size_mb: limits.burstMB,
      // Per stream, so one noisy pod is throttled alone instead of exhausting the environment's rate.
      per_stream_rate_limit: `${limits.perStreamRateMB}MB`,
      per_stream_rate_limit_burst: `${limits.perStreamBurstMB}MB`,
      max_line_size: `${limits.maxLineSizeKB}KB`,
      // A long stack trace or plan is cut, not lost.
      max_line_size_truncate: true,
      // A cardinality fuse: a label with a trace id in it would create streams until this stops it.
      max_global_streams_per_user: limits.maxStreams,
      max_label_names_per_series: 15,
      // Structured metadata carries trace ids; OTLP (/otlp/v1/logs) needs it too.
      allow_structured_metadata: true,
      // OTLP pushes: Loki's default turns ~20 resource attributes into stream labels, some per process
      // (service.instance.id). Index only the workload identity; every other attribute becomes
      // structured metadata, still queryable without a parser.
      otlp_config: {
        resource_attributes: {
          ignore_defaults: true,
          attributes_config: [
            { action: 'index_label', attributes: ['service.name', 'k8s.namespace.name', 'k8s.pod.name', 'k8s.container.name'] },
          ],
        },
      },
      reject_old_samples: true,
      reject_old_samples_max_age: '168h',
      // A query cannot reach before the retention anyway; this keeps it from scanning for nothing.
      max_query_lookback: lokiHours(opts.retention),
      volume_enabled: true,
    },
    ...(opts.rulerRemoteWriteUrl
      ? {
          ruler: {
            storage: { type: 'local', local: { directory: RULES_DIR } },
            // Scratch copies of the rule files; the rule store itself is the read-only ConfigMap.
            rule_path: `${DATA_DIR}/ruler-scratch`,
            evaluation_interval: '1m',
            // Recorded series go to Prometheus, where alerts can compare them with metrics.
            remote_write: { enabled: true, clients: { prometheus: { url: opts.rulerRemoteWriteUrl } } },
            wal: { dir: `${DATA_DIR}/ruler-wal` },
          },
        }
      : {}),
    // No calls home from inside the cluster.
    analytics: { reporting_enabled: false },
  };
}

/**
 * Loki 3 as a single binary (all targets in one process) in a StatefulSet, its
 * chunks and index on a PersistentVolumeClaim. Receives pushes from the log
 * agent and the event exporter on /loki/api/v1/push and OTLP logs on
 * /otlp/v1/logs.
 */
export class Loki extends Construct {
  public readonly url: string;
  public readonly pushUrl: string;
  /** Where an OpenTelemetry Collector's otlphttp exporter points (it appends /v1/logs). */
  public readonly otlpUrl: string;
  public readonly scrapeJob: ScrapeJob;
  public readonly configYaml: string;

  constructor(scope: Construct, id: string, props: LokiProps) {
    super(scope, id);
    const ns = props.namespace;
    const { selector, metadata } = lokiIdentity(ns);
    ({ url: this.url, pushUrl: this.pushUrl, otlpUrl: this.otlpUrl } = lokiEndpoints(ns));

    const recordingRules = props.recordingRules ?? [];
    if (recordingRules.length > 0 && !props.rulerRemoteWriteUrl) {
      throw new Error('Loki recording rules need rulerRemoteWriteUrl: their results are only useful in Prometheus');
    }
    this.configYaml = toYaml(
      lokiConfig({
        retention: props.retention ?? LOKI_DEFAULTS.retention,
        ingestion: props.ingestion ?? DEFAULT_INGESTION_LIMITS,
        rulerRemoteWriteUrl: recordingRules.length > 0 ? props.rulerRemoteWriteUrl : undefined,
        multiTenant: props.tenant !== undefined,
      }),
    );
    const config = lokiConfigObjects(this, metadata, this.configYaml, recordingRules);
    const serviceAccountName = lokiServiceAccount(this, metadata);
    const container = lokiContainer({
      resources: props.resources ?? LOKI_DEFAULT_RESOURCES,
      withRules: config.rulesConfigMap !== undefined,
      tenant: props.tenant,
    });

    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(LOKI_NAME),
      selector,
      ...lokiPod({ serviceAccountName, container, config }),
      volumeClaim: { name: 'data', size: props.storageSize ?? LOKI_DEFAULTS.storageSize, storageClassName: props.storageClassName },
    });
    lokiService(this, metadata, selector);

    this.scrapeJob = lokiScrapeJob(ns);
  }
}
