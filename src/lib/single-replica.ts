import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkName } from './names';
import { persistentVolumeClaimTemplate, podTemplate, PodTemplateOptions, RETAIN_VOLUMES } from './workload';

/**
 * The single-replica StatefulSet and Deployment the components share, around `podTemplate`. A component passes what
 * is its own (name, labels, containers, volumes, its data volume's size and class, the reason it needs an API token
 * or a long shutdown) and keeps the comments that say why next to its values.
 */

/** A workload around a `PodTemplateOptions` pod, which gets the workload's labels. */
export interface WorkloadOptions extends Omit<PodTemplateOptions, 'labels'> {
  /** The workload's name, namespace and labels (`componentMeta`'s `metadata(name)`); a StatefulSet's governing Service has its name. */
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
  /** Selects the pods. Immutable, so it never holds the version label. */
  readonly selector: Record<string, string>;
}

/** A StatefulSet's per-replica volume, mounted by the containers under `name`. */
export interface VolumeClaimOptions {
  readonly name: string;
  /** A Kubernetes quantity, like `20Gi`. */
  readonly size: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /**
   * Write `RETAIN_VOLUMES` into the manifest (see there why). false leaves the field out, and Kubernetes applies its
   * own default. @default true
   */
  readonly retain?: boolean;
}

export interface SingleReplicaStatefulSetOptions extends WorkloadOptions {
  /** @default none: the pod keeps nothing across restarts */
  readonly volumeClaim?: VolumeClaimOptions;
}

/**
 * One pod with a stable name and, with `volumeClaim`, its own PersistentVolumeClaim: the shape of a server whose data
 * must survive a restart and whose store has a single writer (a TSDB, silences, Grafana's database, a disk buffer).
 */
export function singleReplicaStatefulSet(scope: Construct, id: string, opts: SingleReplicaStatefulSetOptions): k8s.KubeStatefulSet {
  const { metadata, selector, volumeClaim: claim } = checked('singleReplicaStatefulSet', opts);
  const labels = metadata.labels;
  return new k8s.KubeStatefulSet(scope, id, {
    metadata: { ...metadata },
    spec: {
      serviceName: metadata.name,
      replicas: 1,
      selector: { matchLabels: selector },
      template: podTemplate({ ...opts, labels }),
      volumeClaimTemplates: claim
        ? [persistentVolumeClaimTemplate({ name: claim.name, labels, size: claim.size, storageClassName: claim.storageClassName })]
        : undefined,
      persistentVolumeClaimRetentionPolicy: claim && (claim.retain ?? true) ? RETAIN_VOLUMES : undefined,
    },
  });
}

/** One stateless pod, for a process that must not run twice (it would scrape, alert or write everything twice). */
export function singleReplicaDeployment(scope: Construct, id: string, opts: WorkloadOptions): k8s.KubeDeployment {
  const { metadata, selector } = checked('singleReplicaDeployment', opts);
  return new k8s.KubeDeployment(scope, id, {
    metadata: { ...metadata },
    spec: { replicas: 1, selector: { matchLabels: selector }, template: podTemplate({ ...opts, labels: metadata.labels }) },
  });
}

/** What the API server would refuse, refused here with the workload's name. */
function checked<T extends WorkloadOptions>(where: string, opts: T): T {
  const { name, namespace, labels } = opts.metadata;
  checkName(where, 'name', name, 'label');
  checkName(`${where}(${name})`, 'namespace', namespace, 'label');
  if (Object.keys(opts.selector).length === 0) {
    throw new Error(`${where}(${name}): selector is empty; it must name at least one of the pod's labels`);
  }
  for (const [key, value] of Object.entries(opts.selector)) {
    if (labels[key] !== value) {
      throw new Error(
        `${where}(${name}): selector ${key}=${JSON.stringify(value)} is not among the pod's labels ` +
          `(${key} is ${JSON.stringify(labels[key]) ?? 'missing'}); the API server refuses a workload whose selector does not match its pods`,
      );
    }
  }
  return opts;
}
