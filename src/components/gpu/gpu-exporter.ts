import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { selectorLabels, standardLabels } from '../../lib/labels';
import { NODE_AGENTS } from '../../lib/node-agents';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { ResourceSpec, restrictedPodSecurity, rootPodSecurity, secureContainer, ServiceContainerOptions } from '../../lib/workload';
import { GPU_METRICS, GpuExporterKind } from './metrics';
import { GPU_RESOURCE, gpuNodePlacement } from './request-gpu';

/**
 * The defaults of GpuExporterProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const GPU_EXPORTER_DEFAULTS = {
  exporter: 'nvidia-smi',
  requestGpu: false,
} as const;

export interface GpuExporterProps {
  /** The node-agents namespace: the exporter runs beside the GPUs of every GPU node. */
  readonly namespace: string;
  readonly priorityClassName: string;
  /** Labels that mark GPU nodes; the exporter runs there only. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** @default 'nvidia-smi' */
  readonly exporter?: GpuExporterKind;
  /**
   * RuntimeClass that injects the driver, nvidia-smi and the devices; null when the node's default runtime is
   * the NVIDIA runtime.
   * @default 'nvidia'
   */
  readonly runtimeClassName?: string | null;
  /**
   * Request one `nvidia.com/gpu` through the device plugin instead of seeing
   * every GPU through the runtime. Only allowed together with time-slicing.
   * @default false
   */
  readonly requestGpu?: boolean;
  /** The device plugin's time-slicing replicas, if any. @default none */
  readonly timeSlicingReplicas?: number;
  /** @default 10m/32Mi requests, 200m/128Mi limits (dcgm: 50m/256Mi, 500m/512Mi) */
  readonly resources?: ResourceSpec;
}

/** Name of the DaemonSet and the `job` label of its series. */
export const GPU_EXPORTER_NAME = 'gpu-exporter';
const POD_RESOURCES_DIR = '/var/lib/kubelet/pod-resources';

const DEFAULT_RESOURCES: Record<GpuExporterKind, ResourceSpec> = {
  'nvidia-smi': { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  // dcgm-exporter embeds the DCGM host engine, which is much heavier than a call to nvidia-smi.
  dcgm: { requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
};

/** Why the exporter must not take a GPU of its own unless GPUs are shared; also the config check's message. */
export const EXPORTER_GPU_REQUEST_NEEDS_TIME_SLICING =
  'a DaemonSet that requests nvidia.com/gpu takes a whole GPU on every GPU node away from the workloads; ' +
  'request one only with time-slicing on (gpu.timeSlicing.replicas), or leave it off so the exporter sees the GPUs ' +
  'through the NVIDIA runtime (NVIDIA_VISIBLE_DEVICES=all)';

/**
 * GPU utilisation, temperature, memory and power of every GPU node, from
 * nvidia_gpu_exporter (nvidia-smi, the default) or dcgm-exporter (per-pod
 * attribution). Its metrics are described once in `GPU_METRICS`.
 */
export class GpuExporter extends Construct {
  public readonly scrapeJob: ScrapeJob;
  public readonly exporter: GpuExporterKind;

  constructor(scope: Construct, id: string, props: GpuExporterProps) {
    super(scope, id);
    this.exporter = props.exporter ?? GPU_EXPORTER_DEFAULTS.exporter;
    const requestGpu = props.requestGpu ?? GPU_EXPORTER_DEFAULTS.requestGpu;
    if (requestGpu && props.timeSlicingReplicas === undefined) {
      throw new Error(`GpuExporter: requestGpu is true without timeSlicingReplicas: ${EXPORTER_GPU_REQUEST_NEEDS_TIME_SLICING}`);
    }
    if (Object.keys(props.nodeSelector).length === 0) {
      throw new Error('GpuExporter: nodeSelector is empty; the exporter must be limited to GPU nodes');
    }
    const metrics = GPU_METRICS[this.exporter];
    const dcgm = this.exporter === 'dcgm';
    const identity = { name: GPU_EXPORTER_NAME, component: 'exporter', image: metrics.image };
    const labels = standardLabels(identity);
    const rootReason = NODE_AGENTS[`DaemonSet/${GPU_EXPORTER_NAME}`].runsAsRoot!;

    const sa = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: GPU_EXPORTER_NAME, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });

    const common: Pick<ServiceContainerOptions, 'name' | 'image' | 'ports' | 'resources' | 'liveness' | 'readiness'> = {
      name: GPU_EXPORTER_NAME,
      image: metrics.image,
      ports: [{ name: 'metrics', containerPort: metrics.port }],
      resources: props.resources ?? DEFAULT_RESOURCES[this.exporter],
      liveness: { path: metrics.healthPath, port: 'metrics' },
      readiness: { path: metrics.healthPath, port: 'metrics' },
    };
    // With a GPU from the device plugin, the plugin sets NVIDIA_VISIBLE_DEVICES to that GPU; otherwise the
    // runtime shows every GPU of the node, without taking any away from the scheduler.
    const visibleDevices: k8s.EnvVar[] = requestGpu ? [] : [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }];
    const container = dcgm
      ? secureContainer({
          ...common,
          env: [
            ...visibleDevices,
            { name: 'DCGM_EXPORTER_LISTEN', value: `:${metrics.port}` },
            // Adds namespace/pod/container of the pod that holds each GPU, read from the kubelet pod-resources API.
            { name: 'DCGM_EXPORTER_KUBERNETES', value: 'true' },
          ],
          runAsRoot: { reason: rootReason },
          // Profiling metrics (DCGM_FI_PROF_*) would also need CAP_SYS_ADMIN; the default counters do not.
          volumeMounts: [{ name: 'pod-resources', mountPath: POD_RESOURCES_DIR, readOnly: true }],
        })
      : secureContainer({
          ...common,
          args: [`--web.listen-address=:${metrics.port}`, '--web.telemetry-path=/metrics'],
          env: visibleDevices,
          // The device nodes the runtime injects are world-readable; nvidia-smi needs no root to read them.
          runAsUser: 65534,
        });
    if (requestGpu) {
      // Allowed only with time-slicing: then this is one share of a GPU, not a whole one.
      container.resources!.limits![GPU_RESOURCE] = k8s.Quantity.fromString('1');
    }

    new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name: GPU_EXPORTER_NAME, namespace: props.namespace, labels },
      spec: {
        selector: { matchLabels: selectorLabels(identity) },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            // Neither exporter talks to the Kubernetes API.
            automountServiceAccountToken: false,
            ...gpuNodePlacement(props),
            securityContext: dcgm ? rootPodSecurity(rootReason) : restrictedPodSecurity({ runAsUser: 65534 }),
            containers: [container],
            volumes: dcgm ? [{ name: 'pod-resources', hostPath: { path: POD_RESOURCES_DIR, type: 'Directory' } }] : undefined,
          },
        },
      },
    });

    this.scrapeJob = componentScrapeJob({
      job: GPU_EXPORTER_NAME,
      namespace: props.namespace,
      appName: GPU_EXPORTER_NAME,
      portName: 'metrics',
    });
  }
}
