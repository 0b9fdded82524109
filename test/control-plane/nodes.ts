/**
 * The cluster the manifests are applied to: three CPU nodes and one GPU node, as Node objects with the
 * capacity, labels and taints a real cluster's nodes carry, kept Ready by renewing their Leases the way a
 * kubelet does (so the controller manager's node lifecycle controller runs as in a real cluster and removes
 * the `not-ready` taint every new node starts with).
 *
 * And what the kubelet would write about pods, since there is none: a pod bound to a node is reported
 * Running and Ready with an address from the node's pod range (the node's own address with hostNetwork), a
 * Job's pod as having run to completion, and a pod being deleted on a node is removed once it is marked for
 * deletion. No container runs.
 */
import { KubeClient, KubeError } from './kube-client';

export interface NodeModel {
  readonly name: string;
  readonly ip: string;
  readonly podCidrPrefix: string;
  readonly capacity: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: ReadonlyArray<{ key: string; value?: string; effect: string }>;
}

function node(index: number, zone: string, extra: Partial<Pick<NodeModel, 'capacity' | 'labels' | 'taints'>> & { name: string }): NodeModel {
  return {
    name: extra.name,
    ip: `10.0.0.${10 + index}`,
    podCidrPrefix: `10.244.${index}.`,
    // An 8-vCPU, 32 GiB machine, as m6i.2xlarge or n2-standard-8, after the kubelet's system reservation.
    capacity: { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi', ...extra.capacity },
    labels: {
      'kubernetes.io/hostname': extra.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'topology.kubernetes.io/zone': zone,
      'topology.kubernetes.io/region': 'region-1',
      ...extra.labels,
    },
    taints: extra.taints ?? [],
  };
}

/**
 * Three CPU nodes in three zones, and a GPU node as the NVIDIA GPU Operator leaves it: labelled
 * `nvidia.com/gpu.present=true` by GPU feature discovery, tainted `nvidia.com/gpu:NoSchedule` (the usual GPU
 * node pool taint) so only pods that tolerate it land there, and advertising `nvidia.com/gpu` (the device
 * plugin's resource). These are facts of the cluster, written here and not taken from the stack's code.
 */
export const CLUSTER_NODES: readonly NodeModel[] = [
  node(1, 'zone-a', { name: 'cpu-1' }),
  node(2, 'zone-b', { name: 'cpu-2' }),
  node(3, 'zone-c', { name: 'cpu-3' }),
  node(4, 'zone-a', {
    name: 'gpu-1',
    capacity: { 'nvidia.com/gpu': '4' },
    labels: { 'nvidia.com/gpu.present': 'true', 'nvidia.com/gpu.product': 'NVIDIA-L4', 'nvidia.com/gpu.count': '4' },
    taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
  }),
];

/** The RuntimeClass the GPU Operator installs for the NVIDIA container runtime. */
export const NVIDIA_RUNTIME_CLASS = { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'nvidia' }, handler: 'nvidia' };

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

export interface SimulatedNodes {
  readonly nodes: readonly NodeModel[];
  /** Errors of the heartbeat or kubelet loops (they never throw: the test asserts this stays empty). */
  readonly errors: string[];
  stop(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const microNow = () => new Date().toISOString().replace(/Z$/, '000Z');

async function createNode(client: KubeClient, n: NodeModel, kubeletVersion: string): Promise<void> {
  await client.create('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: n.labels },
    spec: { podCIDR: `${n.podCidrPrefix}0/24`, podCIDRs: [`${n.podCidrPrefix}0/24`], taints: n.taints },
  });
  await renewLease(client, n.name);
  await reportStatus(client, n, kubeletVersion);
}

async function reportStatus(client: KubeClient, n: NodeModel, kubeletVersion: string): Promise<void> {
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: reason,
    lastHeartbeatTime: now(),
    lastTransitionTime: now(),
  });
  await client.must('PATCH', `/api/v1/nodes/${n.name}/status`, {
    status: {
      capacity: n.capacity,
      allocatable: n.capacity,
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        condition('Ready', 'True', 'KubeletReady'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://2.1.4',
        kernelVersion: '6.8.0',
        osImage: 'Ubuntu 24.04 LTS',
        machineID: n.name,
        systemUUID: n.name,
        bootID: n.name,
      },
    },
  }, 'application/strategic-merge-patch+json');
}

async function renewLease(client: KubeClient, name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microNow() } };
  const res = await client.request('PATCH', `${path}`, { spec: lease.spec }, 'application/merge-patch+json');
  if (res.status === 404) await client.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease);
  else if (res.status !== 200) throw new KubeError(res.status, `PATCH ${path}`, res.body);
}

/** The status a kubelet reports for a pod whose containers all started and passed their probes. */
function runningStatus(pod: any, n: NodeModel, ip: string): any {
  const started = now();
  const running = (c: any) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: started } },
  });
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started });
  return {
    phase: 'Running',
    hostIP: n.ip,
    hostIPs: [{ ip: n.ip }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: started,
    conditions: ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
    containerStatuses: pod.spec.containers.map(running),
    initContainerStatuses: (pod.spec.initContainers ?? []).map((c: any) =>
      c.restartPolicy === 'Always'
        ? running(c)
        : { name: c.name, image: c.image, imageID: '', ready: true, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } } },
    ),
  };
}

/** The status a kubelet reports for a Job's pod whose containers ran and exited 0. */
function succeededStatus(pod: any, n: NodeModel, ip: string): any {
  const at = now();
  const done = (c: any) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at } },
  });
  const condition = (type: string, status: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: at, ...(status === 'False' ? { reason: 'PodCompleted' } : {}) });
  return {
    phase: 'Succeeded',
    hostIP: n.ip,
    hostIPs: [{ ip: n.ip }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: at,
    conditions: [condition('PodReadyToStartContainers', 'False'), condition('Initialized', 'True'), condition('ContainersReady', 'False'), condition('Ready', 'False')],
    containerStatuses: pod.spec.containers.map(done),
    initContainerStatuses: (pod.spec.initContainers ?? []).map(done),
  };
}

/** Creates the nodes and keeps them (and the pods bound to them) going until `stop`. */
export async function simulateNodes(client: KubeClient, kubeletVersion: string, nodes: readonly NodeModel[] = CLUSTER_NODES): Promise<SimulatedNodes> {
  const errors: string[] = [];
  for (const n of nodes) await createNode(client, n, kubeletVersion);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const nextIp = new Map(nodes.map((n) => [n.name, 2]));
  let stopped = false;

  const heartbeat = setInterval(() => {
    for (const n of nodes) renewLease(client, n.name).catch((e) => errors.push(`lease of ${n.name}: ${(e as Error).message}`));
  }, RENEW_MS);

  const kubelet = async () => {
    const handled = new Set<string>();
    while (!stopped) {
      try {
        const pods = await client.list('/api/v1/pods');
        await Promise.all(
          pods.map(async (pod: any) => {
            const n = byName.get(pod.spec.nodeName);
            if (!n) return;
            const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
            if (pod.metadata.deletionTimestamp) {
              // The containers are stopped: the kubelet removes the pod for good.
              await client.delete(path, 0);
              return;
            }
            if (pod.status?.phase !== 'Pending' || handled.has(pod.metadata.uid)) return;
            handled.add(pod.metadata.uid);
            let ip = n.ip;
            if (!pod.spec.hostNetwork) {
              const i = nextIp.get(n.name)!;
              nextIp.set(n.name, i + 1);
              ip = `${n.podCidrPrefix}${i}`;
            }
            const job = pod.metadata.ownerReferences?.some((o: any) => o.kind === 'Job');
            const status = job ? succeededStatus(pod, n, ip) : runningStatus(pod, n, ip);
            const res = await client.request('PATCH', `${path}/status`, { status }, 'application/strategic-merge-patch+json');
            if (res.status !== 200 && res.status !== 404) {
              handled.delete(pod.metadata.uid);
              errors.push(`status of pod ${pod.metadata.namespace}/${pod.metadata.name}: HTTP ${res.status}: ${res.body?.message ?? JSON.stringify(res.body)}`);
            }
          }),
        );
      } catch (e) {
        if (!stopped) errors.push(`kubelet loop: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kubeletDone = kubelet();

  return {
    nodes,
    errors,
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      await kubeletDone;
    },
  };
}
