import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES, imageName } from '../../lib/images';
import { selectorLabels, standardLabels } from '../../lib/labels';
import { persistentVolumeClaimTemplate, ResourceSpec, RETAIN_VOLUMES } from '../../lib/workload';
import type { SecretKey } from './postgres';

/**
 * The defaults of SharedPostgresProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const SHARED_POSTGRES_DEFAULTS = {
  name: 'postgres',
  storageSize: '20Gi',
} as const;

export interface SharedPostgresProps {
  readonly namespace: string;
  /** @default 'postgres' */
  readonly name?: string;
  /** Password of the `postgres` superuser. */
  readonly superuserPassword: SecretKey;
  /** @default '20Gi' */
  readonly storageSize?: string;
  readonly storageClassName?: string;
  /** @default 250m/512Mi requests, 1 CPU/1Gi limits */
  readonly resources?: ResourceSpec;
}

/** The official image's `postgres` user. */
const POSTGRES_UID = 999;
const DEFAULT_RESOURCES: ResourceSpec = { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } };

/**
 * The applications' shared PostgreSQL 17 (namespace `java-tasks` in production),
 * written as a user would write their own database: a plain cdk8s-plus
 * StatefulSet. `ObservablePostgres` is then applied to it like to any
 * user-owned one. It runs under the restricted Pod Security profile: the
 * official image works as uid 999 with a read-only root filesystem once its
 * socket and temp directories are writable volumes.
 */
export class SharedPostgres extends Construct {
  public readonly statefulSet: kplus.StatefulSet;
  public readonly container: kplus.Container;

  constructor(scope: Construct, id: string, props: SharedPostgresProps) {
    super(scope, id);
    const name = props.name ?? SHARED_POSTGRES_DEFAULTS.name;
    const identity = { name, component: 'database', image: IMAGES.postgres };
    const labels = standardLabels(identity);
    const resources = props.resources ?? DEFAULT_RESOURCES;

    const service = new kplus.Service(this, 'service', {
      metadata: { name, namespace: props.namespace, labels },
      clusterIP: 'None',
      ports: [{ name: 'postgres', port: 5432, targetPort: 5432 }],
    });
    this.statefulSet = new kplus.StatefulSet(this, 'statefulset', {
      metadata: { name, namespace: props.namespace, labels },
      // `app` is what the plan viewer's log queries select on: {namespace="java-tasks", app="postgres"}.
      podMetadata: { labels: { ...labels, app: name } },
      service,
      replicas: 1,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: POSTGRES_UID, group: POSTGRES_UID, fsGroup: POSTGRES_UID },
    });
    this.statefulSet.select(kplus.LabelSelector.of({ labels: selectorLabels(identity) }));
    service.selectLabel('app.kubernetes.io/name', name);

    this.container = this.statefulSet.addContainer({
      name: 'postgres',
      image: imageName(IMAGES.postgres),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      // No declared containerPort: the annotation-based scrape job makes one target per declared port,
      // and the pod's only metrics port is the exporter's.
      envVariables: {
        // A subdirectory, because the volume's root holds lost+found and initdb wants an empty directory.
        PGDATA: kplus.EnvValue.fromValue('/var/lib/postgresql/data/pgdata'),
        POSTGRES_PASSWORD: kplus.EnvValue.fromSecretValue({
          secret: kplus.Secret.fromSecretName(this, 'superuser-secret', props.superuserPassword.secretName),
          key: props.superuserPassword.key,
        }),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(cpuMillis(resources.requests.cpu)), limit: kplus.Cpu.millis(cpuMillis(resources.limits.cpu)) },
        memory: { request: memory(resources.requests.memory), limit: memory(resources.limits.memory) },
      },
      liveness: kplus.Probe.fromCommand(['pg_isready', '-h', '127.0.0.1', '-U', 'postgres'], { periodSeconds: Duration.seconds(20), failureThreshold: 3 }),
      readiness: kplus.Probe.fromCommand(['pg_isready', '-h', '127.0.0.1', '-U', 'postgres'], { periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      securityContext: {
        ensureNonRoot: true,
        user: POSTGRES_UID,
        group: POSTGRES_UID,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    });
    this.container.mount('/var/run/postgresql', kplus.Volume.fromEmptyDir(this, 'run', 'run', { sizeLimit: Size.mebibytes(16) }));
    this.container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(256) }));

    // cdk8s-plus-28 has neither volumeClaimTemplates nor a pod-level seccomp profile.
    const sts = ApiObject.of(this.statefulSet);
    sts.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
    sts.addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/fsGroupChangePolicy', 'OnRootMismatch'));
    sts.addJsonPatch(
      JsonPatch.add('/spec/volumeClaimTemplates', [
        persistentVolumeClaimTemplate({ name: 'data', labels, size: props.storageSize ?? SHARED_POSTGRES_DEFAULTS.storageSize, storageClassName: props.storageClassName }),
      ]),
    );
    sts.addJsonPatch(
      JsonPatch.add(`/spec/template/spec/containers/0/volumeMounts/-`, { name: 'data', mountPath: '/var/lib/postgresql/data' }),
    );
    // SIGTERM is PostgreSQL's smart shutdown, then the stop escalates to fast: a shutdown checkpoint writes every dirty
    // buffer. 30 s is not always enough for that on a busy server, and a SIGKILL means crash recovery on the next start.
    sts.addJsonPatch(JsonPatch.add('/spec/template/spec/terminationGracePeriodSeconds', 120));
    sts.addJsonPatch(JsonPatch.add('/spec/persistentVolumeClaimRetentionPolicy', RETAIN_VOLUMES));
  }
}

function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

function memory(q: string): Size {
  const n = Number(q.slice(0, -2));
  return q.endsWith('Gi') ? Size.gibibytes(n) : q.endsWith('Mi') ? Size.mebibytes(n) : Size.kibibytes(n);
}
