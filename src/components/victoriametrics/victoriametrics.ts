import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ImageRef, IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import {
  persistentVolumeClaimTemplate,
  podTemplate,
  PodTemplateOptions,
  ResourceSpec,
  RETAIN_VOLUMES,
  scratchVolume,
  secureContainer,
} from '../../lib/workload';
import { singleReplicaStatefulSet, VolumeClaimOptions } from '../../lib/single-replica';

/**
 * VictoriaMetrics as the metrics store, single node or cluster.
 * Both expose the same two links the Stack needs: where remote-write clients
 * push (`writeUrl`) and the Prometheus-compatible query API (`queryUrl`) that
 * Grafana's Prometheus datasource and vmalert read.
 */
export const VM_PORTS = { single: 8428, vminsert: 8480, vmselect: 8481, vmstorage: 8482, vmstorageInsert: 8400, vmstorageSelect: 8401 } as const;

/** VictoriaMetrics' images have no USER; every binary runs fine as nobody. */
const VM_UID = 65534;
const STORAGE_DIR = '/storage';

const DEFAULT_STORAGE_RESOURCES: ResourceSpec = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { cpu: '2', memory: '4Gi' },
};
const DEFAULT_STATELESS_RESOURCES: ResourceSpec = {
  requests: { cpu: '200m', memory: '256Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

export interface VictoriaMetricsStore {
  /** Full remote-write URL, for vmagent and the OpenTelemetry Collector. */
  readonly writeUrl: string;
  /** Base URL vmalert's -remoteWrite.url takes (it appends /api/v1/write itself). */
  readonly vmalertWriteUrl: string;
  readonly queryUrl: string;
  readonly scrapeJobs: ScrapeJob[];
}

/**
 * The defaults of VictoriaMetricsProps and VictoriaMetricsClusterProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const VICTORIA_METRICS_DEFAULTS = {
  retention: '30d',
  storageSize: '50Gi',
  replicationFactor: 2,
  vmstorageReplicas: 3,
  vminsertReplicas: 2,
  vmselectReplicas: 2,
} as const;

interface StorageProps {
  readonly namespace: string;
  /** -retentionPeriod, with a unit (VictoriaMetrics reads a bare number as months). @default '30d' */
  readonly retention?: string;
  /** @default '50Gi' */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 500m/1Gi requests, 2 CPU/4Gi limits */
  readonly resources?: ResourceSpec;
}

export type VictoriaMetricsProps = StorageProps;

function retentionFlag(retention: string): string {
  // A bare number means months to VictoriaMetrics; every config duration carries a unit, so this only guards the props.
  if (!/^\d+[hdwy]$/.test(retention)) {
    throw new Error(`VictoriaMetrics: retention must be a whole number of h, d, w or y (like "30d"), got "${retention}"`);
  }
  return `-retentionPeriod=${retention}`;
}

function dataClaim(props: StorageProps): VolumeClaimOptions {
  return { name: 'data', size: props.storageSize ?? VICTORIA_METRICS_DEFAULTS.storageSize, storageClassName: props.storageClassName };
}

/** The pod of every VictoriaMetrics workload but its labels: its own token-less account, nobody, one container. */
function vmPod(name: string, container: k8s.Container, volumes: k8s.Volume[] = []): Omit<PodTemplateOptions, 'labels'> {
  return {
    serviceAccountName: name,
    automountServiceAccountToken: false,
    security: { runAsUser: VM_UID, fsGroup: VM_UID },
    // Time to flush the in-memory parts to disk on shutdown.
    terminationGracePeriodSeconds: 60,
    containers: [container],
    volumes: volumes.length ? volumes : undefined,
  };
}

function vmContainer(opts: {
  name: string;
  image: ImageRef;
  args: string[];
  ports: k8s.ContainerPort[];
  resources: ResourceSpec;
  mounts?: k8s.VolumeMount[];
}): k8s.Container {
  return secureContainer({
    name: opts.name,
    image: opts.image,
    args: [...opts.args, '-loggerFormat=json'],
    ports: opts.ports,
    resources: opts.resources,
    liveness: { tcpPort: 'http' },
    readiness: { path: '/health', port: 'http' },
    // Opening a large data directory after an unclean stop takes a while.
    startupFailureThreshold: 30,
    volumeMounts: opts.mounts,
  });
}

/** The URLs of a single-node store in `namespace`: it answers the Prometheus query API at its root. */
export function victoriaMetricsEndpoints(namespace: string): Pick<VictoriaMetricsStore, 'writeUrl' | 'vmalertWriteUrl' | 'queryUrl'> {
  const base = `http://victoriametrics.${namespace}.svc:${VM_PORTS.single}`;
  return { writeUrl: `${base}/api/v1/write`, vmalertWriteUrl: base, queryUrl: base };
}

/** The URLs of the cluster in `namespace`: tenant 0 of vminsert and vmselect. */
export function victoriaMetricsClusterEndpoints(namespace: string): Pick<VictoriaMetricsStore, 'writeUrl' | 'vmalertWriteUrl' | 'queryUrl'> {
  const vmalertWriteUrl = `http://vminsert.${namespace}.svc:${VM_PORTS.vminsert}/insert/0/prometheus`;
  return {
    writeUrl: `${vmalertWriteUrl}/api/v1/write`,
    vmalertWriteUrl,
    queryUrl: `http://vmselect.${namespace}.svc:${VM_PORTS.vmselect}/select/0/prometheus`,
  };
}

/** One VictoriaMetrics node: a StatefulSet with its data on a PersistentVolumeClaim. */
export class VictoriaMetrics extends Construct implements VictoriaMetricsStore {
  public readonly writeUrl: string;
  public readonly vmalertWriteUrl: string;
  public readonly queryUrl: string;
  public readonly scrapeJobs: ScrapeJob[];

  constructor(scope: Construct, id: string, props: VictoriaMetricsProps) {
    super(scope, id);
    const name = 'victoriametrics';
    const ns = props.namespace;
    const { selector, metadata } = componentMeta({ name, component: 'metrics-server', image: IMAGES.victoriaMetrics }, ns);
    ({ writeUrl: this.writeUrl, vmalertWriteUrl: this.vmalertWriteUrl, queryUrl: this.queryUrl } = victoriaMetricsEndpoints(ns));

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: metadata(name), automountServiceAccountToken: false });
    const container = vmContainer({
      name,
      image: IMAGES.victoriaMetrics,
      args: [`-storageDataPath=${STORAGE_DIR}`, retentionFlag(props.retention ?? VICTORIA_METRICS_DEFAULTS.retention), `-httpListenAddr=:${VM_PORTS.single}`],
      ports: [{ name: 'http', containerPort: VM_PORTS.single }],
      resources: props.resources ?? DEFAULT_STORAGE_RESOURCES,
      mounts: [{ name: 'data', mountPath: STORAGE_DIR }],
    });
    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(name),
      selector,
      ...vmPod(name, container),
      volumeClaim: dataClaim(props),
    });
    new k8s.KubeService(this, 'service', {
      metadata: metadata(name),
      spec: { selector, ports: [{ name: 'http', port: VM_PORTS.single, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    this.scrapeJobs = [componentScrapeJob({ job: name, namespace: ns, appName: name, portName: 'http' })];
  }
}

export interface VictoriaMetricsClusterProps extends StorageProps {
  /** Copies of each sample on distinct vmstorage nodes. @default 2 */
  readonly replicationFactor?: number;
  /** @default 3 */
  readonly vmstorageReplicas?: number;
  /** @default 2 */
  readonly vminsertReplicas?: number;
  /** @default 2 */
  readonly vmselectReplicas?: number;
  /** vminsert and vmselect. @default 200m/256Mi requests, 1 CPU/1Gi limits */
  readonly statelessResources?: ResourceSpec;
}

/**
 * The VictoriaMetrics cluster: vmstorage as a StatefulSet (each replica its
 * own volume, addressed by its stable DNS name), vminsert and vmselect as
 * stateless Deployments in front. Tenant 0 (`/insert/0/...`, `/select/0/...`)
 * holds everything: environments are isolated by cluster, not by tenant.
 */
export class VictoriaMetricsCluster extends Construct implements VictoriaMetricsStore {
  public readonly writeUrl: string;
  public readonly vmalertWriteUrl: string;
  public readonly queryUrl: string;
  public readonly scrapeJobs: ScrapeJob[];

  constructor(scope: Construct, id: string, props: VictoriaMetricsClusterProps) {
    super(scope, id);
    const ns = props.namespace;
    const storageReplicas = props.vmstorageReplicas ?? VICTORIA_METRICS_DEFAULTS.vmstorageReplicas;
    const replicationFactor = props.replicationFactor ?? VICTORIA_METRICS_DEFAULTS.replicationFactor;
    if (replicationFactor > storageReplicas) {
      throw new Error(
        `VictoriaMetricsCluster: replicationFactor ${replicationFactor} needs at least as many vmstorage replicas, got ${storageReplicas}`,
      );
    }
    ({ writeUrl: this.writeUrl, vmalertWriteUrl: this.vmalertWriteUrl, queryUrl: this.queryUrl } = victoriaMetricsClusterEndpoints(ns));
    const storageNodes = (port: number) =>
      Array.from({ length: storageReplicas }, (_, i) => `vmstorage-${i}.vmstorage.${ns}.svc:${port}`).join(',');

    // vmstorage
    {
      const name = 'vmstorage';
      const { labels, selector, metadata } = componentMeta({ name, component: 'metrics-storage', image: IMAGES.vmstorage }, ns);
      new k8s.KubeServiceAccount(this, 'vmstorage-service-account', { metadata: metadata(name), automountServiceAccountToken: false });
      const container = vmContainer({
        name,
        image: IMAGES.vmstorage,
        args: [`-storageDataPath=${STORAGE_DIR}`, retentionFlag(props.retention ?? VICTORIA_METRICS_DEFAULTS.retention)],
        ports: [
          { name: 'http', containerPort: VM_PORTS.vmstorage },
          { name: 'vminsert', containerPort: VM_PORTS.vmstorageInsert },
          { name: 'vmselect', containerPort: VM_PORTS.vmstorageSelect },
        ],
        resources: props.resources ?? DEFAULT_STORAGE_RESOURCES,
        mounts: [{ name: 'data', mountPath: STORAGE_DIR }],
      });
      new k8s.KubeStatefulSet(this, 'vmstorage', {
        metadata: metadata(name),
        spec: {
          serviceName: name,
          replicas: storageReplicas,
          // Every node is independent; starting them together shortens a full restart.
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: selector },
          template: podTemplate({ labels, ...vmPod(name, container), affinity: spreadAcrossNodes(selector) }),
          volumeClaimTemplates: [persistentVolumeClaimTemplate({ ...dataClaim(props), labels })],
          persistentVolumeClaimRetentionPolicy: RETAIN_VOLUMES,
        },
      });
      // Headless: vminsert and vmselect address each vmstorage pod by its own name, never through a balancer.
      new k8s.KubeService(this, 'vmstorage-service', {
        metadata: metadata(name),
        spec: {
          clusterIp: 'None',
          selector,
          publishNotReadyAddresses: true,
          ports: [
            { name: 'http', port: VM_PORTS.vmstorage, targetPort: k8s.IntOrString.fromString('http') },
            { name: 'vminsert', port: VM_PORTS.vmstorageInsert, targetPort: k8s.IntOrString.fromString('vminsert') },
            { name: 'vmselect', port: VM_PORTS.vmstorageSelect, targetPort: k8s.IntOrString.fromString('vmselect') },
          ],
        },
      });
    }

    const stateless = (name: 'vminsert' | 'vmselect', replicas: number, args: string[], volumes: k8s.Volume[], mounts: k8s.VolumeMount[]) => {
      const image = IMAGES[name];
      const { labels, selector, metadata } = componentMeta({ name, component: name === 'vminsert' ? 'metrics-ingest' : 'metrics-query', image }, ns);
      const port = VM_PORTS[name];
      new k8s.KubeServiceAccount(this, `${name}-service-account`, { metadata: metadata(name), automountServiceAccountToken: false });
      const container = vmContainer({
        name,
        image,
        args,
        ports: [{ name: 'http', containerPort: port }],
        resources: props.statelessResources ?? DEFAULT_STATELESS_RESOURCES,
        mounts,
      });
      new k8s.KubeDeployment(this, name, {
        metadata: metadata(name),
        spec: {
          replicas,
          selector: { matchLabels: selector },
          template: podTemplate({ labels, ...vmPod(name, container, volumes), affinity: spreadAcrossNodes(selector) }),
        },
      });
      new k8s.KubeService(this, `${name}-service`, {
        metadata: metadata(name),
        spec: { selector, ports: [{ name: 'http', port, targetPort: k8s.IntOrString.fromString('http') }] },
      });
    };
    stateless(
      'vminsert',
      props.vminsertReplicas ?? VICTORIA_METRICS_DEFAULTS.vminsertReplicas,
      [`-storageNode=${storageNodes(VM_PORTS.vmstorageInsert)}`, `-replicationFactor=${replicationFactor}`],
      [],
      [],
    );
    stateless(
      'vmselect',
      props.vmselectReplicas ?? VICTORIA_METRICS_DEFAULTS.vmselectReplicas,
      [
        `-storageNode=${storageNodes(VM_PORTS.vmstorageSelect)}`,
        // Answers stay complete with replicationFactor-1 vmstorage nodes down.
        `-replicationFactor=${replicationFactor}`,
        // Replicated copies of one sample would otherwise be counted twice.
        ...(replicationFactor > 1 ? ['-dedup.minScrapeInterval=1ms'] : []),
        '-cacheDataPath=/cache',
      ],
      [scratchVolume('cache', '1Gi')],
      [{ name: 'cache', mountPath: '/cache' }],
    );

    this.scrapeJobs = (['vmstorage', 'vminsert', 'vmselect'] as const).map((job) =>
      componentScrapeJob({ job, namespace: ns, appName: job, portName: 'http' }),
    );
  }
}

/** Prefer distinct nodes for the replicas, so one node going down takes one replica, not several. */
function spreadAcrossNodes(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
      ],
    },
  };
}
