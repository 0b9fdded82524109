import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES } from '../../lib/images';
import { selectorLabels, standardLabels } from '../../lib/labels';
import { RelabelConfig, ScrapeJob } from '../../lib/scrape';
import { ResourceSpec, restrictedPodSecurity, secureContainer } from '../../lib/workload';

/**
 * The defaults of NodeExporterProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const NODE_EXPORTER_DEFAULTS = {
  port: 9100,
} as const;

export interface NodeExporterProps {
  /** The node-agents namespace: host access is not allowed in the restricted one. */
  readonly namespace: string;
  readonly priorityClassName: string;
  /** @default 9100 */
  readonly port?: number;
  /** @default 50m/64Mi requests, 250m/128Mi limits */
  readonly resources?: ResourceSpec;
}

const NAME = 'node-exporter';
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '250m', memory: '128Mi' },
};

/** Host directories node-exporter reads, always read-only. */
const HOST_MOUNTS = [
  { name: 'proc', hostPath: '/proc', mountPath: '/host/proc' },
  { name: 'sys', hostPath: '/sys', mountPath: '/host/sys' },
  { name: 'root', hostPath: '/', mountPath: '/host/root' },
];

/**
 * node-exporter on every node, control plane included.
 *
 * Exceptions to the restricted profile, each needed for what it measures:
 * - hostNetwork: network-interface metrics are the host's, not the pod's;
 * - hostPID: process counts and per-process pressure are the host's;
 * - read-only hostPath mounts of /proc, /sys and /: CPU, memory, disk and filesystem usage.
 * It still runs as `nobody` with no capabilities and a read-only root filesystem.
 */
export class NodeExporter extends Construct {
  public readonly scrapeJob: ScrapeJob;

  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    super(scope, id);
    const port = props.port ?? NODE_EXPORTER_DEFAULTS.port;
    const identity = { name: NAME, component: 'exporter', image: IMAGES.nodeExporter };
    const labels = standardLabels(identity);
    const selector = selectorLabels(identity);

    const sa = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: NAME, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });

    new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name: NAME, namespace: props.namespace, labels },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            // node-exporter never talks to the Kubernetes API.
            automountServiceAccountToken: false,
            hostNetwork: true,
            hostPid: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            priorityClassName: props.priorityClassName,
            // Every node, tainted or not, control plane included: a node we cannot see is a node we cannot alert on.
            tolerations: [{ operator: 'Exists' }],
            securityContext: restrictedPodSecurity({ runAsUser: 65534 }),
            containers: [
              secureContainer({
                name: NAME,
                image: IMAGES.nodeExporter,
                args: [
                  `--web.listen-address=:${port}`,
                  '--path.procfs=/host/proc',
                  '--path.sysfs=/host/sys',
                  '--path.rootfs=/host/root',
                  '--path.udev.data=/host/root/run/udev/data',
                  // Container and kubelet mounts would multiply the filesystem series by the number of pods.
                  '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/docker/.+|var/lib/kubelet/.+)($|/)',
                  '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|tmpfs)$',
                  '--collector.netclass.ignored-devices=^(veth.*|cali.*|flannel.*|cni.*|lxc.*)$',
                ],
                ports: [{ name: 'metrics', containerPort: port, hostPort: port }],
                resources: props.resources ?? DEFAULT_RESOURCES,
                liveness: { path: '/', port: 'metrics' },
                readiness: { path: '/', port: 'metrics' },
                volumeMounts: HOST_MOUNTS.map((m) => ({
                  name: m.name,
                  mountPath: m.mountPath,
                  readOnly: true,
                  // New mounts on the host (a freshly attached disk) become visible without a restart.
                  mountPropagation: 'HostToContainer',
                })),
              }),
            ],
            volumes: HOST_MOUNTS.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: 'Directory' } })),
          },
        },
      },
    });

    const instanceIsNode: RelabelConfig = { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'instance' };
    this.scrapeJob = {
      job_name: NAME,
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [props.namespace] } }],
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: NAME, action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'metrics', action: 'keep' },
        // With the host network the pod address is the node's; name the series after the node instead.
        instanceIsNode,
        { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
      ],
    };
  }
}
