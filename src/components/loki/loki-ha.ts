import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ScrapeJob } from '../../lib/scrape';
import { toYaml } from '../../lib/yaml';
import { persistentVolumeClaimTemplate, podTemplate, ResourceSpec, RETAIN_VOLUMES } from '../../lib/workload';
import { RenderedRuleGroup } from '../../kit/rule-model';
import {
  LOKI_DATA_DIR,
  LOKI_NAME,
  lokiConfigObjects,
  lokiContainer,
  lokiEndpoints,
  lokiIdentity,
  lokiPod,
  lokiScrapeJob,
  lokiService,
  lokiServiceAccount,
} from './common';
import { DEFAULT_INGESTION_LIMITS, LOKI_DEFAULTS, lokiConfig, LokiIngestionLimits } from './loki';

export const LOKI_MEMBERLIST_PORT = 7946;
/** Every line is written to this many ingesters; a write succeeds once a quorum (2) has it. */
export const LOKI_HA_REPLICATION_FACTOR = 3;
/** Environment variables the config expands (-config.expand-env=true); their values come from the Secret. */
const ACCESS_KEY_ENV = 'LOKI_S3_ACCESS_KEY_ID';
const SECRET_KEY_ENV = 'LOKI_S3_SECRET_ACCESS_KEY';

const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { cpu: '2', memory: '4Gi' },
};

export interface LokiObjectStore {
  readonly bucket: string;
  /** host[:port], no scheme. */
  readonly endpoint: string;
  readonly region: string;
  readonly insecure: boolean;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly secretName: string; readonly accessKeyIdKey: string; readonly secretAccessKeyKey: string };
}

/**
 * The defaults of LokiHaProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const LOKI_HA_DEFAULTS = {
  replicas: LOKI_HA_REPLICATION_FACTOR,
  retention: LOKI_DEFAULTS.retention,
  // The Stack gives both Loki backends the same volume (logs.storage.size).
  walStorageSize: LOKI_DEFAULTS.storageSize,
} as const;

export interface LokiHaProps {
  readonly namespace: string;
  /** At least LOKI_HA_REPLICATION_FACTOR. @default 3 */
  readonly replicas?: number;
  readonly objectStore: LokiObjectStore;
  /** @default '14d' */
  readonly retention?: string;
  /** @default DEFAULT_INGESTION_LIMITS */
  readonly ingestion?: LokiIngestionLimits;
  /** Per-replica volume for the WAL and the index cache; chunks live in the bucket. @default '20Gi' */
  readonly walStorageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Per replica. @default 500m/1Gi requests, 2 CPU/4Gi limits */
  readonly resources?: ResourceSpec;
  /** LogQL recording rules, as for the single binary; the replicas share them out over the ring. @default none */
  readonly recordingRules?: readonly RenderedRuleGroup[];
  /** Required with `recordingRules`. */
  readonly rulerRemoteWriteUrl?: string;
  /** auth_enabled with multi-tenant queries; the recording rules run as this tenant. @default undefined (single tenant `fake`) */
  readonly tenant?: string;
}

/**
 * The monolithic config turned HA: the ring gossips over memberlist instead of
 * living in memory, every line goes to three ingesters, and chunks, index and
 * delete requests go to the S3 bucket every replica shares. The access keys
 * are `${...}` references that Loki expands from its environment, so they are
 * never in the ConfigMap.
 */
export function lokiHaConfig(opts: {
  namespace: string;
  retention: string;
  ingestion: LokiIngestionLimits;
  objectStore: LokiObjectStore;
  rulerRemoteWriteUrl?: string;
  multiTenant?: boolean;
}): Record<string, unknown> {
  const base = lokiConfig({
    retention: opts.retention,
    ingestion: opts.ingestion,
    rulerRemoteWriteUrl: opts.rulerRemoteWriteUrl,
    multiTenant: opts.multiTenant,
  }) as any;
  const store = opts.objectStore;
  return {
    ...base,
    common: {
      path_prefix: LOKI_DATA_DIR,
      replication_factor: LOKI_HA_REPLICATION_FACTOR,
      // No instance_addr: each replica advertises its pod IP, which the others reach over memberlist.
      ring: { kvstore: { store: 'memberlist' } },
      storage: {
        s3: {
          endpoint: store.endpoint,
          bucketnames: store.bucket,
          region: store.region,
          insecure: store.insecure,
          s3forcepathstyle: store.forcePathStyle,
          access_key_id: `\${${ACCESS_KEY_ENV}}`,
          secret_access_key: `\${${SECRET_KEY_ENV}}`,
        },
      },
    },
    // Like every other in-cluster URL of the stack, `<service>.<namespace>.svc`: no assumption about the cluster domain.
    memberlist: {
      bind_port: LOKI_MEMBERLIST_PORT,
      join_members: [`${LOKI_NAME}-memberlist.${opts.namespace}.svc:${LOKI_MEMBERLIST_PORT}`],
    },
    schema_config: {
      configs: [{ from: '2024-04-01', store: 'tsdb', object_store: 's3', schema: 'v13', index: { prefix: 'index_', period: '24h' } }],
    },
    // Retention deletes from the bucket and the delete requests live there too. Every replica runs the compactor target,
    // but the compactor ring (on the same memberlist) lets one of them work at a time.
    compactor: { ...base.compactor, delete_request_store: 's3' },
    // Every replica holds the same rule files: sharding over the ring makes each group run on one of them, not on all.
    ...(base.ruler ? { ruler: { ...base.ruler, enable_sharding: true } } : {}),
  };
}

/**
 * Loki HA: several monolithic replicas (`-target=all`) that form
 * one ring over memberlist, with replication_factor 3 and an S3-compatible
 * object store. Upstream deprecated the Simple Scalable mode; this is the
 * path it recommends between a single binary and microservices. Clients see
 * the same `loki` Service as with the single binary.
 */
export class LokiHa extends Construct {
  public readonly url: string;
  public readonly pushUrl: string;
  public readonly otlpUrl: string;
  public readonly scrapeJob: ScrapeJob;
  public readonly configYaml: string;

  constructor(scope: Construct, id: string, props: LokiHaProps) {
    super(scope, id);
    const ns = props.namespace;
    const replicas = props.replicas ?? LOKI_HA_DEFAULTS.replicas;
    if (replicas < LOKI_HA_REPLICATION_FACTOR) {
      throw new Error(`LokiHa: replicas must be at least ${LOKI_HA_REPLICATION_FACTOR} (the replication factor), got ${replicas}`);
    }
    const { labels, selector, metadata } = lokiIdentity(ns);
    ({ url: this.url, pushUrl: this.pushUrl, otlpUrl: this.otlpUrl } = lokiEndpoints(ns));

    const recordingRules = props.recordingRules ?? [];
    if (recordingRules.length > 0 && !props.rulerRemoteWriteUrl) {
      throw new Error('LokiHa: recording rules need rulerRemoteWriteUrl: their results are only useful in the metrics store');
    }
    this.configYaml = toYaml(
      lokiHaConfig({
        namespace: ns,
        retention: props.retention ?? LOKI_HA_DEFAULTS.retention,
        ingestion: props.ingestion ?? DEFAULT_INGESTION_LIMITS,
        objectStore: props.objectStore,
        rulerRemoteWriteUrl: recordingRules.length > 0 ? props.rulerRemoteWriteUrl : undefined,
        multiTenant: props.tenant !== undefined,
      }),
    );
    const config = lokiConfigObjects(this, metadata, this.configYaml, recordingRules);
    const serviceAccountName = lokiServiceAccount(this, metadata);

    const creds = props.objectStore.credentials;
    const container = lokiContainer({
      resources: props.resources ?? DEFAULT_RESOURCES,
      withRules: config.rulesConfigMap !== undefined,
      tenant: props.tenant,
      extraArgs: ['-config.expand-env=true'],
      env: [
        { name: ACCESS_KEY_ENV, valueFrom: { secretKeyRef: { name: creds.secretName, key: creds.accessKeyIdKey } } },
        { name: SECRET_KEY_ENV, valueFrom: { secretKeyRef: { name: creds.secretName, key: creds.secretAccessKeyKey } } },
      ],
      extraPorts: [{ name: 'memberlist', containerPort: LOKI_MEMBERLIST_PORT }],
    });

    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: metadata(LOKI_NAME),
      spec: {
        serviceName: `${LOKI_NAME}-memberlist`,
        replicas,
        // Replicas join the ring independently; waiting for each in turn only slows a full restart.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: podTemplate({
          labels,
          ...lokiPod({
            serviceAccountName,
            container,
            config,
            // Three copies on one node are one copy: spread the replicas over nodes.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
          }),
        }),
        volumeClaimTemplates: [
          persistentVolumeClaimTemplate({ name: 'data', labels, size: props.walStorageSize ?? LOKI_HA_DEFAULTS.walStorageSize, storageClassName: props.storageClassName }),
        ],
        // One replica at a time: with replication factor 3 a write needs 2 healthy ingesters. A drain is held to one
        // replica at a time by the Stack's PodDisruptionBudget (maxUnavailable 1) for every StatefulSet.
        updateStrategy: { type: 'RollingUpdate' },
        persistentVolumeClaimRetentionPolicy: RETAIN_VOLUMES,
      },
    });

    lokiService(this, metadata, selector);
    // Headless: memberlist joins through the pod addresses, including pods not ready yet (they must join to become ready).
    new k8s.KubeService(this, 'memberlist-service', {
      metadata: metadata(`${LOKI_NAME}-memberlist`),
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector,
        ports: [{ name: 'memberlist', port: LOKI_MEMBERLIST_PORT, targetPort: k8s.IntOrString.fromString('memberlist'), protocol: 'TCP' }],
      },
    });

    this.scrapeJob = lokiScrapeJob(ns);
  }
}
