import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { GrafanaDashboard } from '../kit/grafana-dashboard';

/**
 * Argo CD applies an Application in waves (`argocd.argoproj.io/sync-wave`) and
 * waits for every object of a wave to be healthy before starting the next.
 * Within a wave it orders by kind (Namespace, ServiceAccount, ConfigMap, ...,
 * RBAC, Service, workloads), then by name.
 *
 * The waves of the platform, all set here in one place:
 * 1. the foundation: namespaces, CRDs, PriorityClasses, ServiceAccounts and RBAC;
 * 2. storage and backends (Prometheus, with its ConfigMaps and volumes);
 * 3. collectors and agents, which need a backend to send to;
 * 4. Grafana and its dashboards, which need the backends as datasources.
 *
 * A ConfigMap, Service or volume claim goes in the wave of its component, so
 * it is applied in the same wave as its workload but before it (kind order).
 * The PostSync hooks run after every wave is healthy.
 */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

export enum SyncWave {
  FOUNDATION = 1,
  BACKENDS = 2,
  COLLECTORS = 3,
  GRAFANA = 4,
}

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
 * The wave of every other object, by component (the Stack's chart name).
 * A new component must be added here: an unknown one fails the synth, so no
 * component can land in a wave by accident.
 */
export const COMPONENT_WAVES: Readonly<Record<string, SyncWave>> = {
  namespaces: SyncWave.FOUNDATION,
  // NetworkPolicies exist before any pod starts, so no pod ever runs unprotected.
  security: SyncWave.FOUNDATION,
  prometheus: SyncWave.BACKENDS,
  alertmanager: SyncWave.BACKENDS,
  'kube-state-metrics': SyncWave.COLLECTORS,
  'node-exporter': SyncWave.COLLECTORS,
  grafana: SyncWave.GRAFANA,
  'deploy-annotation': SyncWave.GRAFANA,
  loki: SyncWave.BACKENDS,
  jaeger: SyncWave.BACKENDS,
  // The shared database is a backend of the applications: up before the collectors that watch it.
  postgres: SyncWave.BACKENDS,
  'log-agent': SyncWave.COLLECTORS,
  'kube-event-exporter': SyncWave.COLLECTORS,
  'otel-collector': SyncWave.COLLECTORS,
  gpu: SyncWave.COLLECTORS,
  // Issue 11: the VictoriaMetrics store is a backend; vmalert reads it and vmagent writes to it, so both come after.
  victoriametrics: SyncWave.BACKENDS,
  vmalert: SyncWave.COLLECTORS,
  vmagent: SyncWave.COLLECTORS,
};

export function syncWaveOf(kind: string, component: string): SyncWave {
  if (FOUNDATION_KINDS.has(kind)) return SyncWave.FOUNDATION;
  const wave = COMPONENT_WAVES[component];
  if (wave === undefined) {
    throw new Error(
      `no Argo CD sync wave for component "${component}" (object kind ${kind}): add it to COMPONENT_WAVES in ` +
        `src/gitops/sync-waves.ts; known components: ${Object.keys(COMPONENT_WAVES).join(', ')}`,
    );
  }
  return wave;
}

/**
 * Sets the sync wave on every ApiObject below `scope`, and server-side apply
 * on dashboard ConfigMaps: a big dashboard exceeds the 256 KiB
 * `last-applied-configuration` annotation of client-side apply.
 *
 * A pass over the finished tree rather than a cdk8s Aspect, because
 * `App.synth()` does not invoke aspects. Call it once every component exists.
 */
export function applySyncWaves(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (!(node instanceof ApiObject)) continue;
    const component = Chart.of(node).node.id;
    node.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWaveOf(node.kind, component)));
    if (node.node.scope instanceof GrafanaDashboard) {
      node.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, 'ServerSideApply=true');
    }
  }
}
