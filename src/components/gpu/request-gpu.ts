import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';

/** The extended resource the NVIDIA device plugin advertises. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The taint GPU nodes usually carry, so that only pods that asked for a GPU land there. */
export const GPU_TOLERATION: k8s.Toleration = { key: GPU_RESOURCE, operator: 'Exists', effect: 'NoSchedule' };

/**
 * Where a GPU node agent (the device plugin, the GPU exporter) runs: on the GPU nodes only, past their taint, with
 * the node agents' priority and, when named, the RuntimeClass that brings the NVIDIA driver and devices.
 */
export function gpuNodePlacement(props: {
  readonly priorityClassName: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** @default DEFAULT_GPU_RUNTIME_CLASS; null: none, the node's default runtime is the NVIDIA runtime */
  readonly runtimeClassName?: string | null;
}): Pick<k8s.PodSpec, 'priorityClassName' | 'nodeSelector' | 'tolerations' | 'runtimeClassName'> {
  const runtimeClassName = props.runtimeClassName === undefined ? DEFAULT_GPU_RUNTIME_CLASS : props.runtimeClassName;
  return {
    priorityClassName: props.priorityClassName,
    nodeSelector: { ...props.nodeSelector },
    tolerations: [GPU_TOLERATION],
    runtimeClassName: runtimeClassName ?? undefined,
  };
}

export interface RequestGpuOptions {
  /**
   * The container that gets the GPUs.
   * @default the workload's only container (an error when it has several)
   */
  readonly container?: string;
  /**
   * Whole GPUs, or time-sliced shares when the device plugin advertises each GPU several times.
   * @default 1
   */
  readonly count?: number;
  /**
   * Label of GPU nodes the pod must land on.
   * @default { 'nvidia.com/gpu.present': 'true' } (set by NVIDIA GPU feature discovery)
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * RuntimeClass that injects the driver into the container; `null` when the NVIDIA runtime is the node's default.
   * @default 'nvidia'
   */
  readonly runtimeClassName?: string | null;
}

/** Workloads that already got GPUs, with the options used. */
const REQUESTED = new WeakMap<kplus.Deployment | kplus.StatefulSet, string>();

/** The node label NVIDIA GPU feature discovery puts on GPU nodes. */
export const DEFAULT_GPU_NODE_SELECTOR: Readonly<Record<string, string>> = { 'nvidia.com/gpu.present': 'true' };
/** The RuntimeClass the NVIDIA GPU Operator installs. */
export const DEFAULT_GPU_RUNTIME_CLASS = 'nvidia';

/**
 * Gives a cdk8s-plus workload GPUs in one call: `nvidia.com/gpu` limits on its
 * container, the GPU-node toleration, the NVIDIA RuntimeClass and a required
 * node affinity to GPU nodes. cdk8s-plus has no typed field for extended
 * resources or the RuntimeClass, so those two go in as JSON patches on the
 * rendered object.
 *
 * Calling it again with the same options changes nothing; with other options
 * it is an error. A GPU toleration the workload already has is kept, not
 * duplicated.
 *
 * The container must have CPU and memory limits: a GPU pod without them can
 * starve the node's other GPU tenants of CPU while holding the GPU.
 */
export function requestGpu(workload: kplus.Deployment | kplus.StatefulSet, opts: RequestGpuOptions = {}): void {
  const count = opts.count ?? 1;
  const what = `requestGpu(${workload.node.path})`;
  if (!Number.isInteger(count) || count < 1) throw new Error(`${what}: count must be a whole number of at least 1, got ${count}`);
  const nodeSelector = opts.nodeSelector ?? DEFAULT_GPU_NODE_SELECTOR;
  if (Object.keys(nodeSelector).length === 0) throw new Error(`${what}: nodeSelector is empty; name the label of GPU nodes`);

  const containers = workload.containers;
  const index =
    opts.container === undefined ? (containers.length === 1 ? 0 : -1) : containers.findIndex((c) => c.name === opts.container);
  if (index < 0) {
    const names = containers.map((c) => `"${c.name}"`).join(', ') || 'none';
    throw new Error(
      opts.container === undefined
        ? `${what}: the workload has ${containers.length} containers (${names}); name the one that gets the GPU with "container"`
        : `${what}: no container named "${opts.container}"; the workload has ${names}`,
    );
  }
  const container = containers[index];
  if (!container.resources?.cpu?.limit || !container.resources?.memory?.limit) {
    throw new Error(`${what}: container "${container.name}" needs CPU and memory limits before it gets a GPU`);
  }

  // Called again with the same options it changes nothing (cdk8s-plus would add the toleration and the
  // affinity term once more); with other options it would leave two answers in one pod, so it says so.
  const identity = JSON.stringify({ container: container.name, count, nodeSelector, runtimeClassName: opts.runtimeClassName === undefined ? DEFAULT_GPU_RUNTIME_CLASS : opts.runtimeClassName });
  const earlier = REQUESTED.get(workload);
  if (earlier !== undefined) {
    if (earlier === identity) return;
    throw new Error(`${what}: the workload already has GPUs requested with ${earlier}; call requestGpu once per workload (asked now: ${identity})`);
  }
  REQUESTED.set(workload, identity);

  // A toleration the workload already has (the user's own) is not added twice.
  const tolerations: k8s.Toleration[] = ApiObject.of(workload).toJson().spec?.template?.spec?.tolerations ?? [];
  const tolerated = tolerations.some(
    (t) => t.key === GPU_RESOURCE && t.operator === 'Exists' && (t.effect === undefined || t.effect === GPU_TOLERATION.effect),
  );
  if (!tolerated) workload.scheduling.tolerate(kplus.Node.tainted(kplus.NodeTaintQuery.exists(GPU_RESOURCE, { effect: kplus.TaintEffect.NO_SCHEDULE })));
  workload.scheduling.attract(
    kplus.Node.labeled(...Object.entries(nodeSelector).map(([key, value]) => kplus.NodeLabelQuery.is(key, value))),
  );

  const api = ApiObject.of(workload);
  // Extended resources need no request: the limit implies an equal request, and they cannot be overcommitted.
  // The patch applies before the L1 object converts quantities to strings, so it must be a Quantity too
  // (a plain string is silently dropped); the tests check the rendered limit.
  api.addJsonPatch(
    JsonPatch.add(`/spec/template/spec/containers/${index}/resources/limits/nvidia.com~1gpu`, k8s.Quantity.fromString(String(count))),
  );
  const runtimeClassName = opts.runtimeClassName === undefined ? DEFAULT_GPU_RUNTIME_CLASS : opts.runtimeClassName;
  if (runtimeClassName !== null) api.addJsonPatch(JsonPatch.add('/spec/template/spec/runtimeClassName', runtimeClassName));
}
