import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { clusterReadAccess } from '../../lib/rbac';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { sizeBytes } from '../../lib/units';
import {
  configMapVolume,
  persistentVolumeClaimTemplate,
  podTemplate,
  ResourceSpec,
  restrictedPodSecurity,
  scratchVolume,
  secureContainer,
} from '../../lib/workload';
import { toYaml } from '../../lib/yaml';
import {
  agentConfig,
  COLLECTOR_PORTS,
  CollectorConfig,
  collectorConfigProblems,
  gatewayConfig,
  GatewayConfigOptions,
  QUEUE_DIR,
  samplerConfig,
} from './collector-config';

/**
 * The defaults of OtelCollectorProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const OTEL_COLLECTOR_DEFAULTS = {
  replicas: 1,
  queueStorageSize: '2Gi',
} as const;

export interface OtelCollectorProps extends GatewayConfigOptions {
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  /** Size of the gateway's persistent-queue volume. @default '2Gi' */
  readonly queueStorageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly queueStorageClassName?: string;
  /** @default 200m/512Mi requests, 1 CPU/1Gi limits */
  readonly resources?: ResourceSpec;
  /**
   * Gateway replicas. Above 1 the gateway is a StatefulSet, so each replica has its own queue volume
   * (file_storage locks its files). @default 1
   */
  readonly replicas?: number;
  /**
   * A tail-sampling tier between the gateway and Jaeger: the gateway load-balances traces by trace ID over it.
   * Uses jaegerOtlpEndpoint as its destination. @default undefined (no sampling)
   */
  readonly tailSampling?: {
    readonly replicas: number;
    readonly decisionWait: string;
    readonly keepPercentage: number;
    readonly slowThresholdMs: number;
    /** @default the gateway's resources */
    readonly resources?: ResourceSpec;
  };
  /** Run the per-node agent DaemonSet too. @default undefined (no agent) */
  readonly agent?: {
    /** Namespace admitting host ports (the node-agents namespace). */
    readonly namespace: string;
    readonly priorityClassName: string;
    /** @default 100m/128Mi requests, 500m/512Mi limits */
    readonly resources?: ResourceSpec;
  };
}

const NAME = 'otel-collector';
const AGENT_NAME = 'otel-collector-agent';
const SAMPLER_NAME = 'otel-collector-sampler';
const CONFIG_DIR = '/etc/otelcol';
/** The contrib image's own non-root user. */
const COLLECTOR_UID = 10001;
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '200m', memory: '512Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};
const DEFAULT_AGENT_RESOURCES: ResourceSpec = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};

/**
 * GOMEMLIMIT at 80% of the container's memory limit: the Go runtime collects
 * harder before the kernel's OOM killer would act, and memory_limiter (80% too,
 * of the same limit) refuses data before either.
 */
export function goMemLimit(memoryLimit: string): string {
  return `${Math.floor((sizeBytes(memoryLimit) * 0.8) / 2 ** 20)}MiB`;
}

/**
 * The OpenTelemetry Collector: a gateway Deployment that services send OTLP
 * to, and optionally an agent on every node that forwards to it. Both refuse
 * to synthesize a config that breaks the structural rules of
 * `collectorConfigProblems`.
 */
export class OtelCollector extends Construct {
  /** OTLP/gRPC `host:port` of the gateway, for services and the agent. */
  public readonly otlpGrpcEndpoint: string;
  /** OTLP/HTTP URL of the gateway. */
  public readonly otlpHttpUrl: string;
  public readonly scrapeJobs: ScrapeJob[];
  public readonly config: CollectorConfig;
  public readonly agentConfig?: CollectorConfig;
  public readonly samplerConfig?: CollectorConfig;

  constructor(scope: Construct, id: string, props: OtelCollectorProps) {
    super(scope, id);
    const ns = props.namespace;
    this.otlpGrpcEndpoint = `${NAME}.${ns}.svc:${COLLECTOR_PORTS.otlpGrpc}`;
    this.otlpHttpUrl = `http://${NAME}.${ns}.svc:${COLLECTOR_PORTS.otlpHttp}`;

    const sampling = props.tailSampling;
    if (sampling && !props.jaegerOtlpEndpoint) {
      throw new Error('OtelCollector: tailSampling sends the sampled traces to Jaeger, so jaegerOtlpEndpoint is required');
    }
    this.config = gatewayConfig(
      sampling
        ? { ...props, jaegerOtlpEndpoint: undefined, traceLoadBalancing: { samplerHostname: `${SAMPLER_NAME}.${ns}.svc` } }
        : props,
    );
    assertSound(NAME, this.config);

    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'telemetry-gateway', image: IMAGES.otelCollector }, ns);

    // k8s_attributes watches pods, and namespaces for their metadata (its README's baseline). Since 0.158 it
    // names the Deployment from the ReplicaSet's name, so it reads no ReplicaSets, and it reads no nodes unless
    // it extracts node labels or UIDs, which these configs do not: the integration test checks that every
    // resource the real collector requests is granted here. Read-only, nothing else.
    // The node agent (created below, in its own namespace) runs the same processor, so it shares the role.
    const serviceAccountName = clusterReadAccess(this, {
      name: NAME,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
      alsoBind: props.agent ? [{ name: AGENT_NAME, namespace: props.agent.namespace }] : [],
    });

    const configYaml = toYaml(this.config);
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(`${NAME}-config`),
      data: { 'config.yaml': configYaml },
    });

    const resources = props.resources ?? DEFAULT_RESOURCES;
    const replicas = props.replicas ?? OTEL_COLLECTOR_DEFAULTS.replicas;
    const gatewayPod = (queueVolumes: k8s.Volume[]): k8s.PodTemplateSpec =>
      podTemplate({
        labels,
        annotations: { 'checksum/config': contentHash(configYaml) },
        serviceAccountName,
        // k8s_attributes watches the API, so the pod needs its token.
        automountServiceAccountToken: true,
        // On SIGTERM the batches in memory are written to the persistent queue; 60 s covers a slow disk.
        terminationGracePeriodSeconds: 60,
        security: { runAsUser: COLLECTOR_UID, fsGroup: COLLECTOR_UID },
        containers: [collectorContainer(IMAGES.otelCollector, resources, [])],
        volumes: [configMapVolume('config', configMap.name), ...queueVolumes],
      });
    if (replicas === 1) {
      const queueClaim = new k8s.KubePersistentVolumeClaim(this, 'queue', {
        metadata: metadata(`${NAME}-queue`),
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: props.queueStorageClassName,
          resources: { requests: { storage: k8s.Quantity.fromString(props.queueStorageSize ?? OTEL_COLLECTOR_DEFAULTS.queueStorageSize) } },
        },
      });
      new k8s.KubeDeployment(this, 'deployment', {
        metadata: metadata(NAME),
        spec: {
          // The queue volume is ReadWriteOnce and file_storage locks its files: one replica, and the old pod
          // must be gone before the new one opens the queue.
          replicas: 1,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selector },
          template: gatewayPod([{ name: 'queue', persistentVolumeClaim: { claimName: queueClaim.name } }]),
        },
      });
    } else {
      // Several replicas: each gets its own queue volume from the claim template.
      new k8s.KubeStatefulSet(this, 'statefulset', {
        metadata: metadata(NAME),
        spec: {
          serviceName: NAME,
          replicas,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: selector },
          template: gatewayPod([]),
          volumeClaimTemplates: [queueClaimTemplate(labels, props.queueStorageSize, props.queueStorageClassName)],
        },
      });
    }

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: {
        selector,
        ports: [
          { name: 'otlp-grpc', port: COLLECTOR_PORTS.otlpGrpc, targetPort: k8s.IntOrString.fromString('otlp-grpc'), appProtocol: 'grpc' },
          { name: 'otlp-http', port: COLLECTOR_PORTS.otlpHttp, targetPort: k8s.IntOrString.fromString('otlp-http') },
          { name: 'metrics', port: COLLECTOR_PORTS.metrics, targetPort: k8s.IntOrString.fromString('metrics') },
        ],
      },
    });

    this.scrapeJobs = [componentScrapeJob({ job: NAME, namespace: ns, appName: NAME, portName: 'metrics' })];

    if (sampling) {
      this.samplerConfig = samplerConfig({
        jaegerOtlpEndpoint: props.jaegerOtlpEndpoint!,
        decisionWait: sampling.decisionWait,
        keepPercentage: sampling.keepPercentage,
        slowThresholdMs: sampling.slowThresholdMs,
      });
      assertSound(SAMPLER_NAME, this.samplerConfig);
      this.addSampler(sampling, props);
      this.scrapeJobs.push(componentScrapeJob({ job: SAMPLER_NAME, namespace: ns, appName: SAMPLER_NAME, portName: 'metrics' }));
    }

    if (props.agent) {
      this.agentConfig = agentConfig({ gatewayEndpoint: this.otlpGrpcEndpoint });
      assertSound(AGENT_NAME, this.agentConfig);
      this.addAgent(props.agent);
      this.scrapeJobs.push(
        componentScrapeJob({ job: AGENT_NAME, namespace: props.agent.namespace, appName: AGENT_NAME, portName: 'metrics' }),
      );
    }
  }

  /** The tail-sampling tier: a StatefulSet (a queue volume each) behind a headless Service the gateway resolves by DNS. */
  private addSampler(sampling: NonNullable<OtelCollectorProps['tailSampling']>, props: OtelCollectorProps): void {
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name: SAMPLER_NAME, component: 'trace-sampler', image: IMAGES.otelCollector }, ns);
    const configYaml = toYaml(this.samplerConfig);
    const configMap = new k8s.KubeConfigMap(this, 'sampler-config', { metadata: metadata(`${SAMPLER_NAME}-config`), data: { 'config.yaml': configYaml } });
    new k8s.KubeServiceAccount(this, 'sampler-service-account', { metadata: metadata(SAMPLER_NAME), automountServiceAccountToken: false });
    new k8s.KubeStatefulSet(this, 'sampler', {
      metadata: metadata(SAMPLER_NAME),
      spec: {
        serviceName: SAMPLER_NAME,
        replicas: sampling.replicas,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selector },
        template: podTemplate({
          labels,
          annotations: { 'checksum/config': contentHash(configYaml) },
          serviceAccountName: SAMPLER_NAME,
          // No k8s_attributes here (the gateway already added them), so no API access.
          automountServiceAccountToken: false,
          // Traces still waiting for their decision are lost on stop; 60 s lets the decided ones reach the queue.
          terminationGracePeriodSeconds: 60,
          security: { runAsUser: COLLECTOR_UID, fsGroup: COLLECTOR_UID },
          containers: [collectorContainer(IMAGES.otelCollector, sampling.resources ?? props.resources ?? DEFAULT_RESOURCES, [])],
          volumes: [configMapVolume('config', configMap.name)],
        }),
        volumeClaimTemplates: [queueClaimTemplate(labels, props.queueStorageSize, props.queueStorageClassName)],
      },
    });
    // Headless: the load_balancing exporter resolves every sampler pod's address and hashes trace IDs over them.
    new k8s.KubeService(this, 'sampler-service', {
      metadata: metadata(SAMPLER_NAME),
      spec: {
        clusterIp: 'None',
        selector,
        ports: [
          { name: 'otlp-grpc', port: COLLECTOR_PORTS.otlpGrpc, targetPort: k8s.IntOrString.fromString('otlp-grpc'), appProtocol: 'grpc' },
          { name: 'metrics', port: COLLECTOR_PORTS.metrics, targetPort: k8s.IntOrString.fromString('metrics') },
        ],
      },
    });
  }

  private addAgent(agent: NonNullable<OtelCollectorProps['agent']>): void {
    const ns = agent.namespace;
    const { labels, selector, metadata } = componentMeta({ name: AGENT_NAME, component: 'telemetry-agent', image: IMAGES.otelCollector }, ns);
    const configYaml = toYaml(this.agentConfig);
    const configMap = new k8s.KubeConfigMap(this, 'agent-config', {
      metadata: metadata(`${AGENT_NAME}-config`),
      data: { 'config.yaml': configYaml },
    });
    new k8s.KubeServiceAccount(this, 'agent-service-account', { metadata: metadata(AGENT_NAME), automountServiceAccountToken: false });

    const container = collectorContainer(IMAGES.otelCollector, agent.resources ?? DEFAULT_AGENT_RESOURCES, [
      { name: 'K8S_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    // Host ports let a service send to its own node ($HOST_IP:4317); the baseline Pod Security level forbids
    // them, which is why the agent lives in the node-agents namespace. No host network, PID or paths.
    const withHostPorts: k8s.Container = {
      ...container,
      ports: container.ports!.map((p) =>
        p.name === 'otlp-grpc' || p.name === 'otlp-http' ? { ...p, hostPort: p.containerPort } : p,
      ),
    };

    new k8s.KubeDaemonSet(this, 'agent', {
      metadata: metadata(AGENT_NAME),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
        template: {
          metadata: { labels, annotations: { 'checksum/config': contentHash(configYaml) } },
          spec: {
            serviceAccountName: AGENT_NAME,
            automountServiceAccountToken: true,
            priorityClassName: agent.priorityClassName,
            securityContext: restrictedPodSecurity({ runAsUser: COLLECTOR_UID, fsGroup: COLLECTOR_UID }),
            tolerations: [{ operator: 'Exists' }],
            containers: [withHostPorts],
            volumes: [
              configMapVolume('config', configMap.name),
              // The agent's queue survives container restarts; a node going away takes its pods' unsent data
              // with it either way, and a hostPath would need host access this namespace does not grant.
              scratchVolume('queue', '1Gi'),
            ],
          },
        },
      },
    });
  }
}

function queueClaimTemplate(labels: Record<string, string>, size?: string, storageClassName?: string): k8s.PersistentVolumeClaimTemplate {
  return persistentVolumeClaimTemplate({ name: 'queue', labels, size: size ?? OTEL_COLLECTOR_DEFAULTS.queueStorageSize, storageClassName });
}

function assertSound(name: string, config: CollectorConfig): void {
  const problems = collectorConfigProblems(config);
  if (problems.length > 0) throw new Error(`${name}: the collector config is not sound:\n  ${problems.join('\n  ')}`);
}

function collectorContainer(image: typeof IMAGES.otelCollector, resources: ResourceSpec, env: k8s.EnvVar[]): k8s.Container {
  return secureContainer({
    name: 'otel-collector',
    image,
    args: [`--config=${CONFIG_DIR}/config.yaml`],
    env: [...env, { name: 'GOMEMLIMIT', value: goMemLimit(resources.limits.memory) }],
    ports: [
      { name: 'otlp-grpc', containerPort: COLLECTOR_PORTS.otlpGrpc },
      { name: 'otlp-http', containerPort: COLLECTOR_PORTS.otlpHttp },
      { name: 'health', containerPort: COLLECTOR_PORTS.health },
      { name: 'metrics', containerPort: COLLECTOR_PORTS.metrics },
    ],
    resources,
    liveness: { path: '/', port: 'health' },
    readiness: { path: '/', port: 'health' },
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'queue', mountPath: QUEUE_DIR },
    ],
  });
}
