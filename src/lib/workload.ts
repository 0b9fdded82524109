import { k8s } from 'cdk8s-plus-28';
import { ImageRef, imageName } from './images';

/**
 * Secure, complete container and pod specs from one place.
 *
 * Every container the stack runs goes through `secureContainer`, so requests,
 * limits, probes and the restricted securityContext can never be forgotten.
 * A component that needs more than the restricted profile passes an explicit
 * `exception` with its reason; the reason is kept next to the code that needs it.
 *
 * The stack's own components use the typed L1 objects (`k8s.KubeStatefulSet`, ...)
 * rather than cdk8s-plus workloads: cdk8s-plus-28 has no volumeClaimTemplates,
 * hostPID or priorityClassName, and we want the rendered YAML to read exactly like
 * the Kubernetes objects a reviewer knows.
 */

/** CPU and memory requests and limits, as Kubernetes quantities. */
export interface ResourceSpec {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface HttpProbe {
  readonly path: string;
  /** A port number or the name of a container port. */
  readonly port: number | string;
  readonly scheme?: 'HTTP' | 'HTTPS';
}

interface CommonContainerOptions {
  readonly name: string;
  readonly image: ImageRef;
  readonly args?: string[];
  readonly command?: string[];
  readonly env?: k8s.EnvVar[];
  readonly ports?: k8s.ContainerPort[];
  readonly resources: ResourceSpec;
  readonly volumeMounts?: k8s.VolumeMount[];
  /** User and group the process runs as; the image's own non-root user when omitted. */
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  /**
   * Run as root, for a node agent whose host interface only root may use (a kubelet socket).
   * Only allowed for workloads listed in `NODE_AGENT_EXCEPTIONS` (src/lib/node-agents.ts), whose
   * reason is repeated here so it sits next to the code. Capabilities stay dropped and privilege
   * escalation stays off.
   */
  readonly runAsRoot?: { readonly reason: string };
}

type ProbeSpec = HttpProbe | { readonly tcpPort: number | string } | { readonly exec: string[] };

/** A long-running server or agent: probes are required. */
export interface ServiceContainerOptions extends CommonContainerOptions {
  /** Liveness restarts a wedged process; keep it cheaper and slower than readiness. */
  readonly liveness: ProbeSpec;
  /** Readiness takes the pod out of its Service while it cannot serve. */
  readonly readiness: ProbeSpec;
  /** Give slow starters (a TSDB replaying its WAL) time before liveness counts. */
  readonly startupFailureThreshold?: number;
  readonly runToCompletion?: never;
}

/**
 * A Job's container that runs once and exits. It has no probes: readiness means
 * nothing without a Service, and a hung run is ended by the Job's
 * `activeDeadlineSeconds`, which its owner must set.
 */
export interface RunToCompletionContainerOptions extends CommonContainerOptions {
  readonly runToCompletion: true;
  readonly liveness?: never;
  readonly readiness?: never;
  readonly startupFailureThreshold?: never;
}

export type ContainerOptions = ServiceContainerOptions | RunToCompletionContainerOptions;

function probe(spec: ProbeSpec, periodSeconds: number, failureThreshold: number): k8s.Probe {
  const timing = { periodSeconds, timeoutSeconds: 5, failureThreshold };
  if ('exec' in spec) return { exec: { command: spec.exec }, ...timing };
  if ('tcpPort' in spec) return { tcpSocket: { port: k8s.IntOrString.fromString(String(spec.tcpPort)) }, ...timing };
  const port = typeof spec.port === 'number' ? k8s.IntOrString.fromNumber(spec.port) : k8s.IntOrString.fromString(spec.port);
  return { httpGet: { path: spec.path, port, scheme: spec.scheme ?? 'HTTP' }, ...timing };
}

/** The restricted Pod Security Standard, at container level. */
export const RESTRICTED_CONTAINER_SECURITY: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export function secureContainer(opts: ContainerOptions): k8s.Container {
  const probes = opts.runToCompletion
    ? {}
    : {
        startupProbe: opts.startupFailureThreshold ? probe(opts.liveness, 10, opts.startupFailureThreshold) : undefined,
        livenessProbe: probe(opts.liveness, 20, 3),
        readinessProbe: probe(opts.readiness, 10, 3),
      };
  return {
    name: opts.name,
    image: imageName(opts.image),
    // Tags are pinned, so pulling again on every start only adds a registry dependency.
    imagePullPolicy: 'IfNotPresent',
    command: opts.command,
    args: opts.args,
    env: opts.env,
    ports: opts.ports,
    resources: {
      requests: {
        cpu: k8s.Quantity.fromString(opts.resources.requests.cpu),
        memory: k8s.Quantity.fromString(opts.resources.requests.memory),
      },
      limits: {
        cpu: k8s.Quantity.fromString(opts.resources.limits.cpu),
        memory: k8s.Quantity.fromString(opts.resources.limits.memory),
      },
    },
    ...probes,
    volumeMounts: opts.volumeMounts,
    securityContext: opts.runAsRoot
      ? { ...RESTRICTED_CONTAINER_SECURITY, runAsNonRoot: false, runAsUser: 0, runAsGroup: 0 }
      : { ...RESTRICTED_CONTAINER_SECURITY, runAsUser: opts.runAsUser, runAsGroup: opts.runAsGroup },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export interface PodSecurityOptions {
  readonly runAsUser: number;
  readonly runAsGroup?: number;
  /** Group that owns mounted volumes, so a non-root process can write its data. */
  readonly fsGroup?: number;
}

/** The restricted Pod Security Standard, at pod level. */
export function restrictedPodSecurity(opts: PodSecurityOptions): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: opts.runAsUser,
    runAsGroup: opts.runAsGroup ?? opts.runAsUser,
    fsGroup: opts.fsGroup,
    // Only chown a volume when its root does not match already: fast restarts on big volumes.
    fsGroupChangePolicy: opts.fsGroup !== undefined ? 'OnRootMismatch' : undefined,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Pod-level security of a node agent that must run as root (see `ContainerOptions.runAsRoot`):
 * still the RuntimeDefault seccomp profile, only the user differs from `restrictedPodSecurity`.
 */
export function rootPodSecurity(_reason: string): k8s.PodSecurityContext {
  return { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } };
}

/** A writable scratch directory for a container whose root filesystem is read-only. */
export function scratchVolume(name: string, sizeLimit = '64Mi'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}

/** A ConfigMap mounted as a directory. */
export function configMapVolume(name: string, configMapName: string): k8s.Volume {
  return { name, configMap: { name: configMapName } };
}


export interface PersistentVolumeClaimTemplateOptions {
  /** The claim's name, which is also the name the container mounts. */
  readonly name: string;
  readonly labels: Record<string, string>;
  /** A Kubernetes quantity, like `20Gi`. */
  readonly size: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/**
 * A StatefulSet's per-replica volume: one ReadWriteOnce claim of `size`.
 *
 * The claim carries the component's labels except `app.kubernetes.io/version`: volumeClaimTemplates are
 * immutable, so a label that follows the image tag would make the API server refuse the StatefulSet at every
 * image upgrade.
 */
export function persistentVolumeClaimTemplate(opts: PersistentVolumeClaimTemplateOptions): k8s.PersistentVolumeClaimTemplate {
  const { 'app.kubernetes.io/version': _version, ...labels } = opts.labels;
  return {
    metadata: { name: opts.name, labels },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: opts.storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(opts.size) } },
    },
  };
}

/**
 * A StatefulSet's `persistentVolumeClaimRetentionPolicy` for volumes that hold data (a TSDB, logs, traces,
 * silences, a database): the claims stay when the StatefulSet is deleted or scaled down, so a removed manifest
 * or a mistaken scale-down never deletes history. Kubernetes' default is the same; saying it keeps the intent
 * visible in the manifest and safe from a future default.
 */
export const RETAIN_VOLUMES: k8s.StatefulSetPersistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain' };

/** A pod of the stack: its labels, one ServiceAccount, the restricted Pod Security Standard, containers and volumes. */
export interface PodTemplateOptions {
  /** The component's labels, on the pod; they must contain the workload's selector. */
  readonly labels: Record<string, string>;
  /** Like a config checksum that rolls the pod when the config changes. @default none */
  readonly annotations?: Record<string, string>;
  readonly serviceAccountName: string;
  /** true only for a pod that talks to the Kubernetes API (discovery, list and watch); every other pod has no token. */
  readonly automountServiceAccountToken: boolean;
  /** User, group and fsGroup of the restricted pod security context. */
  readonly security: PodSecurityOptions;
  /** @default Kubernetes' 30 s */
  readonly terminationGracePeriodSeconds?: number;
  /** @default none */
  readonly affinity?: k8s.Affinity;
  readonly containers: k8s.Container[];
  /** @default none */
  readonly volumes?: k8s.Volume[];
}

export function podTemplate(opts: PodTemplateOptions): k8s.PodTemplateSpec {
  return {
    metadata: { labels: opts.labels, annotations: opts.annotations },
    spec: {
      serviceAccountName: opts.serviceAccountName,
      automountServiceAccountToken: opts.automountServiceAccountToken,
      securityContext: restrictedPodSecurity(opts.security),
      terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds,
      affinity: opts.affinity,
      containers: opts.containers,
      volumes: opts.volumes,
    },
  };
}
