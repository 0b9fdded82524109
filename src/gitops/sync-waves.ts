import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GrafanaDashboard } from '../kit/grafana-dashboard';
import { SyncWave } from '../kit/module';

/**
 * Argo CD applies an Application in waves (`argocd.argoproj.io/sync-wave`) and
 * waits for every object of a wave to be healthy before starting the next.
 * Within a wave it orders by kind (Namespace, ServiceAccount, ConfigMap, ...,
 * RBAC, Service, workloads), then by name.
 *
 * Each component declares the wave of its chart (`SyncWave`, src/kit/module.ts)
 * where it opens the chart; the foundation kinds go first whatever their component.
 *
 * A ConfigMap, Service or volume claim goes in the wave of its component, so
 * it is applied in the same wave as its workload but before it (kind order).
 * The PostSync hooks run after every wave is healthy.
 */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

export { SyncWave };

/** Kinds every component may depend on: they go first, whatever component they belong to. */
export const FOUNDATION_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
]);

/**
 * The wave of an object: the foundation kinds first, everything else in the
 * wave its component declared for its chart (`BuildContext.chart(name, namespace, wave)`).
 * A chart without a declared wave fails the synth, so nothing lands in a wave by accident.
 */
export function syncWaveOf(kind: string, component: string, waves: ReadonlyMap<string, SyncWave>): SyncWave {
  if (FOUNDATION_KINDS.has(kind)) return SyncWave.FOUNDATION;
  const wave = waves.get(component);
  if (wave === undefined) {
    throw new Error(
      `no Argo CD sync wave for component "${component}" (object kind ${kind}): open its chart with a wave ` +
        `(BuildContext.chart(name, namespace, wave)); charts with a wave: ${[...waves.keys()].join(', ')}`,
    );
  }
  return wave;
}

export function applySyncWaves(scope: IConstruct, waves: ReadonlyMap<string, SyncWave>): void {
  for (const node of scope.node.findAll()) {
    if (!(node instanceof ApiObject)) continue;
    const component = Chart.of(node).node.id;
    node.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveOf(node.kind, component, waves)));
    if (node.node.scope instanceof GrafanaDashboard) {
      node.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, 'ServerSideApply=true');
    }
  }
}
