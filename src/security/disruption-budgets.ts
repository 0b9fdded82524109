import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';

/**
 * A PodDisruptionBudget for every Deployment and StatefulSet below `scope`,
 * in the workload's own chart, so later components get one without asking.
 *
 * Always `maxUnavailable: 1`, never `minAvailable`: on a single replica
 * `minAvailable: 1` (or `maxUnavailable: 0`) refuses every eviction, and a
 * node drain then waits forever. `maxUnavailable: 1` lets a drain evict one
 * pod at a time: a two-replica event exporter keeps its standby, a single
 * Prometheus is moved (and its PVC follows) instead of blocking maintenance.
 * DaemonSets get none: a drain skips them anyway.
 */
export function addDisruptionBudgets(scope: IConstruct): number {
  let count = 0;
  const workloads = scope.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && (c.kind === 'Deployment' || c.kind === 'StatefulSet'));
  for (const workload of workloads) {
    const json = workload.toJson();
    const matchLabels: Record<string, string> | undefined = json.spec?.selector?.matchLabels;
    if (!matchLabels) throw new Error(`${workload.kind}/${workload.name}: no spec.selector.matchLabels to base a PodDisruptionBudget on`);
    const labels = { ...(json.metadata?.labels ?? {}) };
    delete labels['app.kubernetes.io/version'];
    new k8s.KubePodDisruptionBudget(Chart.of(workload), `${workload.node.path.replace(/\//g, '-')}-pdb`, {
      metadata: { name: workload.name, namespace: json.metadata?.namespace, labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels } },
    });
    count++;
  }
  return count;
}
