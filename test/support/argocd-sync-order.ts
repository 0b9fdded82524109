/**
 * Argo CD's sync order, as gitops-engine implements it (pkg/sync/sync_tasks.go): tasks are sorted by phase,
 * then wave, then kind (this list; unknown kinds last), then name. A wave is applied only once every object
 * of the wave before is healthy.
 */
import { SYNC_WAVE_ANNOTATION } from '../../src/gitops/sync-waves';

export interface SyncOrdered {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

export const KIND_ORDER = [
  'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList',
  'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController',
  'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress',
  'APIService',
]; // prettier-ignore
export const PHASES: Record<string, number> = { PreSync: -1, Sync: 0, PostSync: 1, SyncFail: 2 };

/** [phase, wave, kind position]: Argo CD applies objects in ascending order of this tuple, then by name. */
export function syncPosition(o: SyncOrdered): [number, number, number] {
  const hook = o.metadata.annotations?.['argocd.argoproj.io/hook'];
  const phase = hook === undefined ? 0 : PHASES[hook];
  if (phase === undefined) throw new Error(`${o.kind}/${o.metadata.name}: unknown hook phase "${hook}"`);
  const wave = Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0);
  const kindIndex = KIND_ORDER.indexOf(o.kind);
  return [phase, wave, kindIndex === -1 ? 0 : kindIndex - KIND_ORDER.length];
}

/** True when Argo CD applies `a` strictly before `b` (same phase, wave and kind would be by name: not a guarantee). */
export function syncedBefore(a: SyncOrdered, b: SyncOrdered): boolean {
  const pa = syncPosition(a);
  const pb = syncPosition(b);
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pa[i] < pb[i];
  return false;
}

/** The objects in the order Argo CD applies them. */
export function sortForSync<T extends SyncOrdered>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => {
    const pa = syncPosition(a);
    const pb = syncPosition(b);
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return a.metadata.name.localeCompare(b.metadata.name);
  });
}
