import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PART_OF } from '../../lib/labels';

export interface NamespacesProps {
  /** Backends and Grafana: enforces the restricted Pod Security Standard. */
  readonly monitoring: string;
  /** Node agents with host access (node-exporter, log agent, GPU exporter, device plugin). */
  readonly nodeAgents: string;
  readonly environment: string;
  readonly clusterScopedPrefix: string;
  /**
   * Application namespaces the stack deploys into (the shared PostgreSQL's).
   * Created here so a sync never fails on a missing namespace, but never
   * pruned or deleted by Argo CD: the applications live there too.
   * @default none
   */
  readonly applicationNamespaces?: readonly string[];
}

/**
 * The stack's namespaces and the priority class of its node agents.
 *
 * Why two namespaces: Pod Security Admission works per namespace. The node
 * agents need hostNetwork, hostPID and hostPath, which only the `privileged`
 * level admits. Keeping them apart lets the namespace with the data and the
 * credentials (Prometheus, Grafana, Loki) enforce `restricted`, so nothing
 * there can ever be given host access by mistake.
 */
export class Namespaces extends Construct {
  public readonly nodeAgentPriorityClass: string;

  constructor(scope: Construct, id: string, props: NamespacesProps) {
    super(scope, id);
    const labels = {
      'app.kubernetes.io/part-of': PART_OF,
      'app.kubernetes.io/managed-by': 'cdk8s',
      environment: props.environment,
    };
    const podSecurity = (level: 'restricted' | 'privileged') => ({
      'pod-security.kubernetes.io/enforce': level,
      'pod-security.kubernetes.io/enforce-version': 'latest',
      // Warn and audit at restricted everywhere, so any relaxation shows up in kubectl and the audit log.
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    new k8s.KubeNamespace(this, 'monitoring', {
      metadata: { name: props.monitoring, labels: { ...labels, ...podSecurity('restricted') } },
    });
    new k8s.KubeNamespace(this, 'node-agents', {
      metadata: { name: props.nodeAgents, labels: { ...labels, ...podSecurity('privileged') } },
    });
    for (const name of props.applicationNamespaces ?? []) {
      new k8s.KubeNamespace(this, `application-${name}`, {
        metadata: {
          name,
          labels: { ...labels, ...podSecurity('restricted') },
          // Shared with the applications: removing the stack must never delete their namespace.
          annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' },
        },
      });
    }

    this.nodeAgentPriorityClass = `${props.clusterScopedPrefix}-node-agent`;
    new k8s.KubePriorityClass(this, 'node-agent-priority', {
      metadata: { name: this.nodeAgentPriorityClass, labels },
      // Above ordinary workloads, so a full node evicts an app before the agent that would tell us about it;
      // below system-node-critical, which is reserved for what the node itself needs.
      value: 1000000,
      globalDefault: false,
      description: 'Node agents of the observability platform: scheduled before ordinary workloads on a full node.',
    });
  }
}
