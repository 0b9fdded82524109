/**
 * A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1),
 * enough to decide whether a connection between two pods is admitted:
 * - a pod is isolated for ingress (egress) when some policy in its namespace
 *   selects it and has Ingress (Egress) in its policyTypes (policyTypes
 *   defaults to Ingress, plus Egress when the policy has egress rules);
 * - an isolated pod admits a connection when some rule of some selecting policy
 *   matches both the peer and the port; the policies are additive;
 * - a peer with only podSelector means pods of the policy's own namespace, only
 *   namespaceSelector means every pod of the matching namespaces, both means
 *   both must match; an empty `from`/`to` or `ports` list matches everything;
 * - a named port is resolved against the destination pod's container ports.
 * ipBlock peers never match a pod here (the stack's flows are pod to pod).
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}

export interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: Array<{ from?: PolicyPeer[]; ports?: PolicyPort[] }>;
    egress?: Array<{ to?: PolicyPeer[]; ports?: PolicyPort[] }>;
  };
}

export interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly ports?: ReadonlyArray<{ name?: string; containerPort: number; protocol?: string }>;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export class PolicyEvaluator {
  constructor(
    private readonly policies: readonly NetworkPolicy[],
    /** Labels of a namespace; the API server always sets kubernetes.io/metadata.name. */
    private readonly namespaceLabels: (namespace: string) => Record<string, string> = (n) => ({ 'kubernetes.io/metadata.name': n }),
  ) {}

  private types(p: NetworkPolicy): string[] {
    return p.spec.policyTypes ?? ['Ingress', ...(p.spec.egress ? ['Egress'] : [])];
  }

  /** The policies that select a pod for one direction. */
  selecting(pod: Pod, direction: 'Ingress' | 'Egress'): NetworkPolicy[] {
    return this.policies.filter(
      (p) => p.metadata.namespace === pod.namespace && selectorMatches(p.spec.podSelector, pod.labels) && this.types(p).includes(direction),
    );
  }

  private peerMatches(peers: PolicyPeer[] | undefined, other: Pod, policyNamespace: string): boolean {
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => {
      if (peer.ipBlock) return false;
      const nsOk = peer.namespaceSelector
        ? selectorMatches(peer.namespaceSelector, this.namespaceLabels(other.namespace))
        : other.namespace === policyNamespace;
      return nsOk && selectorMatches(peer.podSelector, other.labels);
    });
  }

  private portMatches(ports: PolicyPort[] | undefined, dst: Pod, port: number, protocol: string): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((p) => {
      if ((p.protocol ?? 'TCP') !== protocol) return false;
      if (p.port === undefined) return true;
      if (typeof p.port === 'number') return p.endPort ? port >= p.port && port <= p.endPort : port === p.port;
      const named = dst.ports?.find((c) => c.name === p.port && (c.protocol ?? 'TCP') === protocol);
      return named?.containerPort === port;
    });
  }

  /** Whether `dst` admits a connection from `src` to `port` (a number, or a container port name of dst). */
  ingressAllowed(src: Pod, dst: Pod, port: number | string, protocol = 'TCP'): boolean {
    const number = typeof port === 'number' ? port : dst.ports?.find((c) => c.name === port)?.containerPort;
    if (number === undefined) throw new Error(`destination has no container port named "${port}"`);
    const selecting = this.selecting(dst, 'Ingress');
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (p.spec.ingress ?? []).some((r) => this.portMatches(r.ports, dst, number, protocol) && this.peerMatches(r.from, src, p.metadata.namespace)),
    );
  }

  /** Whether `src` may open a connection to `dst` on a port number. */
  egressAllowed(src: Pod, dst: Pod, port: number, protocol = 'TCP'): boolean {
    const selecting = this.selecting(src, 'Egress');
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
      (p.spec.egress ?? []).some((r) => this.portMatches(r.ports, dst, port, protocol) && this.peerMatches(r.to, dst, p.metadata.namespace)),
    );
  }

  /** Both ends admit the connection. */
  allowed(src: Pod, dst: Pod, port: number | string, protocol = 'TCP'): boolean {
    const number = typeof port === 'number' ? port : dst.ports?.find((c) => c.name === port)?.containerPort;
    if (number === undefined) throw new Error(`destination has no container port named "${port}"`);
    return this.egressAllowed(src, dst, number, protocol) && this.ingressAllowed(src, dst, number, protocol);
  }
}
