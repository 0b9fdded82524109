import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { selectorLabels, standardLabels } from '../../lib/labels';
import { NODE_AGENTS } from '../../lib/node-agents';
import { ResourceSpec, rootPodSecurity, secureContainer } from '../../lib/workload';
import { toYaml } from '../../lib/yaml';
import { GPU_RESOURCE, gpuNodePlacement } from './request-gpu';

export interface NvidiaDevicePluginProps {
  /** The node-agents namespace: the plugin mounts a kubelet directory from the host. */
  readonly namespace: string;
  readonly priorityClassName: string;
  /** Labels that mark GPU nodes; the plugin runs there only. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /**
   * RuntimeClass that injects the NVIDIA driver and devices into the container; null when the node's default
   * runtime is the NVIDIA runtime.
   * @default 'nvidia'
   */
  readonly runtimeClassName?: string | null;
  /**
   * Advertise each GPU this many times, so that many pods can share it (time-slicing).
   * @default none: one pod per GPU
   */
  readonly timeSlicingReplicas?: number;
  /** @default 10m/32Mi requests, 100m/128Mi limits */
  readonly resources?: ResourceSpec;
}

const NAME = 'nvidia-device-plugin';
const DEVICE_PLUGIN_DIR = '/var/lib/kubelet/device-plugins';
const CONFIG_DIR = '/etc/nvidia-device-plugin';
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '10m', memory: '32Mi' },
  limits: { cpu: '100m', memory: '128Mi' },
};

/** The plugin's config file: time-slicing of `nvidia.com/gpu`, in the plugin's own `version: v1` format. */
export function timeSlicingConfig(replicas: number): string {
  return toYaml({
    version: 'v1',
    sharing: { timeSlicing: { resources: [{ name: GPU_RESOURCE, replicas }] } },
  });
}

/**
 * The NVIDIA device plugin: advertises each node's GPUs to the kubelet as the
 * `nvidia.com/gpu` resource, so pods can request them. Runs on GPU nodes only.
 */
export class NvidiaDevicePlugin extends Construct {
  constructor(scope: Construct, id: string, props: NvidiaDevicePluginProps) {
    super(scope, id);
    const replicas = props.timeSlicingReplicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 2)) {
      throw new Error(`NvidiaDevicePlugin: timeSlicingReplicas must be a whole number of at least 2, got ${replicas}`);
    }
    if (Object.keys(props.nodeSelector).length === 0) {
      throw new Error('NvidiaDevicePlugin: nodeSelector is empty; the plugin must be limited to GPU nodes');
    }
    const identity = { name: NAME, component: 'device-plugin', image: IMAGES.nvidiaDevicePlugin };
    const labels = standardLabels(identity);
    const exceptions = NODE_AGENTS[`DaemonSet/${NAME}`];

    const sa = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: NAME, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });

    let config: { name: string; text: string } | undefined;
    if (replicas !== undefined) {
      config = { name: `${NAME}-config`, text: timeSlicingConfig(replicas) };
      new k8s.KubeConfigMap(this, 'config', {
        metadata: { name: config.name, namespace: props.namespace, labels },
        data: { 'config.yaml': config.text },
      });
    }

    new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name: NAME, namespace: props.namespace, labels },
      spec: {
        selector: { matchLabels: selectorLabels(identity) },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            labels,
            // The plugin reads its config at start only: roll it when the time-slicing config changes.
            annotations: config ? { 'checksum/config': contentHash(config.text) } : undefined,
          },
          spec: {
            serviceAccountName: sa.name,
            // It talks to the kubelet over a socket, never to the API server.
            automountServiceAccountToken: false,
            ...gpuNodePlacement(props),
            securityContext: rootPodSecurity(exceptions.runsAsRoot!),
            containers: [
              secureContainer({
                name: NAME,
                image: IMAGES.nvidiaDevicePlugin,
                args: config ? [`--config-file=${CONFIG_DIR}/config.yaml`] : undefined,
                // Through the NVIDIA runtime the plugin sees every GPU of the node; that is what it advertises.
                env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }],
                resources: props.resources ?? DEFAULT_RESOURCES,
                // The plugin serves no HTTP and has no health command. These probes only prove that the
                // binary and the driver libraries load; the real signal is the node's allocatable nvidia.com/gpu.
                liveness: { exec: ['nvidia-device-plugin', '--version'] },
                readiness: { exec: ['nvidia-device-plugin', '--version'] },
                runAsRoot: { reason: exceptions.runsAsRoot! },
                volumeMounts: [
                  // Writable by necessity (see NODE_AGENTS): the plugin creates its socket in this directory.
                  { name: 'device-plugins', mountPath: DEVICE_PLUGIN_DIR },
                  ...(config ? [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }] : []),
                ],
              }),
            ],
            volumes: [
              { name: 'device-plugins', hostPath: { path: DEVICE_PLUGIN_DIR, type: 'Directory' } },
              ...(config ? [{ name: 'config', configMap: { name: config.name } }] : []),
            ],
          },
        },
      },
    });
  }
}
