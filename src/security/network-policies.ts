import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PART_OF, standardLabels } from '../lib/labels';

/**
 * Who may reach whom: the stack's NetworkPolicies, computed from one table of
 * flows instead of being written per component.
 *
 * What the policies do, and why that much and no more:
 * - Ingress only. Every pod of the stack is isolated for ingress and admits
 *   exactly the flows of the table. Egress is not restricted, so DNS
 *   (kube-dns, UDP and TCP 53) always works: an egress policy would need the
 *   API server's and the nodes' addresses (Prometheus' service discovery,
 *   kubelet/cAdvisor, the host-network node-exporter) and every annotated
 *   application port in every namespace, none of which a pod selector can name.
 *   Such a policy ends up either as 0.0.0.0/0 (no protection) or as a guess
 *   that breaks a cluster it does not fit. Ingress is where the data is read.
 * - Default-deny ingress only in the namespaces the stack owns outright
 *   (monitoring and node agents). In an application namespace the stack shares
 *   (the shared PostgreSQL's), a policy selects the stack's own pods by label
 *   and nothing else: the applications' traffic there is never touched.
 * - Grafana, the one user-facing UI, admits the namespaces in
 *   `grafana.ingressNamespaces`, and any namespace when that is not set.
 *   kube-prometheus shipped a Grafana policy that admitted Prometheus only and
 *   silently cut users' ingress controllers off; here the default admits any
 *   namespace on Grafana's port (Grafana has its own login and anonymous users
 *   are Viewers), and narrowing is one config line.
 * - Host-network pods (node-exporter) are not subject to NetworkPolicy in most
 *   CNIs (Calico, Cilium without host firewall, kube-router): their traffic is
 *   the node's. Their flows are in the table anyway, so the intent is written
 *   down and a CNI that does enforce it admits Prometheus.
 *
 * Namespaces are matched by `kubernetes.io/metadata.name`, which the API server
 * sets on every namespace (Kubernetes 1.22+), so no label needs to be added by hand.
 */

import { Flow, FlowSource } from '../kit/flows';

export { Endpoint, Flow, FlowSource, scrapeFlows, serviceEndpoint, urlFlow } from '../kit/flows';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const APP_LABEL = 'app.kubernetes.io/name';

export interface NetworkPoliciesProps {
  /** Namespaces only the stack uses: every pod there is isolated for ingress. */
  readonly ownedNamespaces: readonly string[];
  /** Every connection the stack needs. */
  readonly flows: readonly Flow[];
}

function peer(from: FlowSource): k8s.NetworkPolicyPeer[] {
  if ('anyNamespace' in from) return [{ namespaceSelector: {} }];
  if ('namespaces' in from) {
    return [{ namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...from.namespaces] }] } }];
  }
  return [
    {
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: from.pods.namespace } },
      podSelector: { matchLabels: { [APP_LABEL]: from.pods.app, 'app.kubernetes.io/part-of': PART_OF } },
    },
  ];
}

function port(p: number | string): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: typeof p === 'number' ? k8s.IntOrString.fromNumber(p) : k8s.IntOrString.fromString(p) };
}

/**
 * One `default-deny-ingress` per owned namespace and one `allow-<app>` per
 * destination, holding one ingress rule per flow (with its reason in the
 * `observability-platform/flows` annotation).
 */
export class NetworkPolicies extends Construct {
  /** `<namespace>/<name>` of every policy, in creation order. */
  public readonly names: string[] = [];

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const labels = standardLabels({ name: 'network-policies', component: 'security' });
    for (const namespace of props.ownedNamespaces) {
      this.add('default-deny-ingress', namespace, {
        metadata: {
          name: 'default-deny-ingress',
          namespace,
          labels,
          annotations: { 'observability-platform/why': 'nothing reaches a pod of the stack unless a flow below admits it' },
        },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      });
    }

    const byDestination = new Map<string, Flow[]>();
    for (const flow of props.flows) {
      const key = `${flow.to.namespace}/${flow.to.app}`;
      byDestination.set(key, [...(byDestination.get(key) ?? []), flow]);
    }
    for (const flows of byDestination.values()) {
      const { namespace, app } = flows[0].to;
      const name = `allow-${app}`;
      this.add(name, namespace, {
        metadata: {
          name,
          namespace,
          labels,
          annotations: { 'observability-platform/flows': flows.map((f) => `${describe(f.from)} -> ${f.ports.join(',')}: ${f.why}`).join('\n') },
        },
        spec: {
          // The part-of label keeps a policy in an application namespace on the stack's own pods.
          podSelector: { matchLabels: { [APP_LABEL]: app, 'app.kubernetes.io/part-of': PART_OF } },
          policyTypes: ['Ingress'],
          ingress: flows.map((f) => ({ from: peer(f.from), ports: f.ports.map(port) })),
        },
      });
    }
  }

  private add(id: string, namespace: string, props: k8s.KubeNetworkPolicyProps): void {
    new k8s.KubeNetworkPolicy(this, `${namespace}-${id}`, props);
    this.names.push(`${namespace}/${props.metadata!.name}`);
  }
}

function describe(from: FlowSource): string {
  if ('anyNamespace' in from) return 'any namespace';
  if ('namespaces' in from) return `namespaces ${from.namespaces.join(',')}`;
  return `${from.pods.namespace}/${from.pods.app}`;
}
