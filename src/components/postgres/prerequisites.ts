/**
 * What the official PostgreSQL image needs to start, checked on the rendered
 * pod before ObservablePostgres changes it: cdk8s-plus makes every container
 * non-root with a read-only root filesystem by default, which the image only
 * survives with its user named and its writable directories on volumes, and
 * the image refuses to initialise a data directory without a superuser
 * password. Each problem says what to add.
 */
import type { k8s } from 'cdk8s-plus-28';

/** The official image's `postgres` user and group. */
export const POSTGRES_IMAGE_UID = 999;
/** The image's default PGDATA for PostgreSQL 17 and earlier. */
export const DEFAULT_PGDATA = '/var/lib/postgresql/data';
/** Where the server writes its socket and lock file, and where initdb and psql write temporary files. */
const WRITABLE_DIRS = ['/var/run/postgresql', '/tmp'];

type PodSpec = Pick<k8s.PodSpec, 'containers' | 'securityContext' | 'volumes'>;

export function postgresStartProblems(pod: PodSpec, containerIndex: number, claimTemplates: readonly string[]): string[] {
  const c = pod.containers[containerIndex];
  const problems: string[] = [];
  const env = new Map((c.env ?? []).map((e) => [e.name, e]));
  const mounts = c.volumeMounts ?? [];
  const under = (dir: string) => mounts.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`));

  if (!env.has('POSTGRES_PASSWORD') && !env.has('POSTGRES_PASSWORD_FILE')) {
    problems.push(
      'no POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE): the image refuses to initialise a data directory without a superuser password; set it from a Secret',
    );
  }

  const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot ?? false;
  const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (nonRoot && (user === undefined || user === 0)) {
    problems.push(
      `runAsNonRoot without a non-root user: the image's default user is root, so the kubelet refuses to start it; ` +
        `set securityContext user and group ${POSTGRES_IMAGE_UID} (the image's postgres user) and fsGroup ${POSTGRES_IMAGE_UID}`,
    );
  }

  const pgdata = env.get('PGDATA')?.value ?? DEFAULT_PGDATA;
  const dataMount = under(pgdata);
  if (!dataMount) {
    problems.push(`no volume holds PGDATA (${pgdata}): the database would be lost at every restart, or not written at all on a read-only root; mount a volume (a volumeClaimTemplate) there`);
  } else if (dataMount.mountPath.replace(/\/+$/, '') === pgdata.replace(/\/+$/, '') && isClaim(pod, dataMount.name, claimTemplates)) {
    problems.push(
      `PGDATA (${pgdata}) is the root of a persistent volume, which usually holds lost+found, and initdb wants an empty directory; ` +
        `set PGDATA to a subdirectory, like ${pgdata.replace(/\/+$/, '')}/pgdata`,
    );
  }

  if (c.securityContext?.readOnlyRootFilesystem) {
    for (const dir of WRITABLE_DIRS.filter((d) => !under(d))) {
      problems.push(`the root filesystem is read-only and nothing is mounted at ${dir}: mount an emptyDir there`);
    }
  }
  return problems;
}

function isClaim(pod: PodSpec, volume: string, claimTemplates: readonly string[]): boolean {
  return claimTemplates.includes(volume) || (pod.volumes ?? []).some((v) => v.name === volume && v.persistentVolumeClaim !== undefined);
}
