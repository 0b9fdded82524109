import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/** The only verbs `clusterReadAccess` grants. */
export const READ_VERBS: readonly string[] = ['get', 'list', 'watch'];

export interface ClusterReadAccessOptions {
  /** The ServiceAccount's name; the ClusterRole and ClusterRoleBinding are `${clusterScopedPrefix}-${name}`. */
  readonly name: string;
  /** Where the ServiceAccount lives. */
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  readonly labels: Record<string, string>;
  /** What may be read, cluster-wide. Verbs only from READ_VERBS, no `*` anywhere. */
  readonly rules: k8s.PolicyRule[];
  /** ServiceAccounts created elsewhere (another workload of the same component, maybe in another namespace) bound to the same role. */
  readonly alsoBind?: ReadonlyArray<{ readonly name: string; readonly namespace: string }>;
}

/**
 * Cluster-wide read access for one component, like an aws-cdk `grantRead`. Creates, in `scope`:
 * - the ServiceAccount `name` in `namespace`, with `automountServiceAccountToken: false`: only the pod that talks
 *   to the API turns the token on, in its own spec;
 * - the ClusterRole `${clusterScopedPrefix}-${name}` holding exactly `rules`, which may only read (get, list,
 *   watch, or fewer of them) and may not use `*` for a group, resource or verb;
 * - the ClusterRoleBinding of that role to this ServiceAccount and to every ServiceAccount in `alsoBind`.
 * Nothing else: no write, no namespaced Role. Returns the ServiceAccount's name, for `serviceAccountName`.
 */
export function clusterReadAccess(scope: Construct, opts: ClusterReadAccessOptions): string {
  for (const rule of opts.rules) {
    const wildcard = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs].includes('*');
    const writes = rule.verbs.filter((verb) => !READ_VERBS.includes(verb));
    if (wildcard || writes.length > 0) {
      throw new Error(
        `clusterReadAccess(${opts.name}): rules may only read (verbs ${READ_VERBS.join(', ')}) and name their groups and resources, ` +
          `got verbs [${rule.verbs.join(', ')}] on [${(rule.resources ?? []).join(', ')}]`,
      );
    }
  }
  const sa = new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { name: opts.name, namespace: opts.namespace, labels: opts.labels },
    automountServiceAccountToken: false,
  });
  const clusterRoleName = `${opts.clusterScopedPrefix}-${opts.name}`;
  new k8s.KubeClusterRole(scope, 'cluster-role', { metadata: { name: clusterRoleName, labels: opts.labels }, rules: opts.rules });
  new k8s.KubeClusterRoleBinding(scope, 'cluster-role-binding', {
    metadata: { name: clusterRoleName, labels: opts.labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
    subjects: [{ name: sa.name, namespace: opts.namespace }, ...(opts.alsoBind ?? [])].map((s) => ({
      kind: 'ServiceAccount',
      name: s.name,
      namespace: s.namespace,
    })),
  });
  return sa.name;
}
