import { LOKI_HTTP_PORT } from '../components/loki/common';
import { LOKI_MEMBERLIST_PORT } from '../components/loki/loki-ha';
import { COLLECTOR_PORTS } from '../components/otel-collector/collector-config';
import { VM_PORTS } from '../components/victoriametrics/victoriametrics';
import type { LogsConfig } from '../components/loki/config';
import { Flow, FlowSource, urlFlow } from '../security/network-policies';
import type { LinkSections, TelemetryLinks } from './links';


/**
 * The connections the scaling choices add to the flow table of
 * src/security/flows.ts (the VictoriaMetrics components' own flows come from
 * the Stack's metrics block, which knows their URLs):
 * - vminsert and vmselect reach every vmstorage pod on its own ports;
 * - Loki HA replicas gossip over memberlist (their gRPC is already admitted);
 * - a central cluster admits its agents, which arrive through an ingress
 *   controller in `topology.ingressNamespaces` (any namespace when unset,
 *   like Grafana's users).
 */
export function scalingFlows(config: LinkSections & { readonly logs: Pick<LogsConfig, 'backend'> }, links: TelemetryLinks): Flow[] {
  if (!links.runsBackends) return [];
  const ns = config.namespaces.monitoring;
  const at = (app: string) => ({ namespace: ns, app });
  const pods = (app: string): FlowSource => ({ pods: at(app) });
  const flows: Flow[] = [];
  if (config.metrics.backend === 'victoriametrics-cluster') {
    flows.push(
      { from: pods('vminsert'), to: at('vmstorage'), ports: [VM_PORTS.vmstorageInsert], why: 'vminsert spreads samples over the vmstorage nodes' },
      { from: pods('vmselect'), to: at('vmstorage'), ports: [VM_PORTS.vmstorageSelect], why: 'vmselect queries every vmstorage node' },
    );
  }
  if (config.logs.backend === 'loki-ha') {
    flows.push({ from: pods('loki'), to: at('loki'), ports: [LOKI_MEMBERLIST_PORT], why: 'Loki replicas gossip the ring over memberlist' });
  }
  if (links.role === 'central') {
    const namespaces = config.topology.ingressNamespaces;
    const agents: FlowSource = namespaces ? { namespaces } : { anyNamespace: true };
    const through = namespaces ? 'through the ingress controller' : 'through any ingress controller (topology.ingressNamespaces not set)';
    flows.push(
      urlFlow(agents, links.metricsWriteUrl, `agent clusters remote-write, ${through}`),
      { from: agents, to: at('loki'), ports: [LOKI_HTTP_PORT], why: `agent clusters push logs, ${through}` },
      { from: agents, to: at('otel-collector'), ports: [COLLECTOR_PORTS.otlpHttp], why: `agent clusters send traces over OTLP/HTTP, ${through}` },
    );
  }
  return flows;
}
