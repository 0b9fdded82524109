import type { AlertingConfig } from '../alerting/config';
import type { GrafanaConfig } from '../components/grafana/config';
import type { LogsConfig } from '../components/loki/config';
import type { OtelCollectorConfig } from '../components/otel-collector/config';
import type { PostgresConfig } from '../components/postgres/config';
import type { GitopsConfig } from '../gitops/config';
import type { LinkSections } from '../topology/links';
import type { Flow } from '../kit/flows';
import type { MetricsBackend } from '../kit/metrics-backend';
import type { GrafanaDatasource } from '../kit/grafana-datasource';
import { BuildContext, SyncWave } from '../kit/module';
import { EXPORTER_PORT as POSTGRES_EXPORTER_PORT } from '../components/postgres/postgres';
import { scalingFlows } from '../topology/flows';
import { serviceNamespace } from '../components/prometheus-operator/config';
import { platformFlows } from './flows';
import { NetworkPolicies } from './network-policies';

/**
 * The NetworkPolicies of the environment, from the one table of flows
 * (src/security/flows.ts), in the `security` chart. NetworkPolicies exist
 * before any pod starts, so no pod ever runs unprotected.
 */
export function networkPolicies(
  ctx: BuildContext,
  config: LinkSections & {
    readonly namespaces: { readonly nodeAgents: string };
    readonly grafana: GrafanaConfig;
    readonly logs: LogsConfig;
    readonly otelCollector: OtelCollectorConfig;
    readonly gitops: GitopsConfig;
    readonly alerting: AlertingConfig;
    readonly postgres?: PostgresConfig;
  },
  metrics: MetricsBackend,
  grafanaDatasources: readonly GrafanaDatasource[],
  componentFlows: readonly Flow[],
): void {
  const ns = ctx.namespaces;
  const links = ctx.links;
  const pg = config.postgres;
  // With the Prometheus Operator, its Prometheus scrapes and its Grafana reads, both in their own namespaces.
  const operator = config.metrics.backend === 'prometheus-operator' ? config.metrics.prometheusOperator : undefined;
  const flows = platformFlows({
    monitoring: ns.monitoring,
    nodeAgents: ns.nodeAgents,
    scraper: metrics.scraper,
    scraperNamespace: operator && serviceNamespace(operator.prometheusUrl),
    externalGrafanaNamespace: operator?.grafanaNamespace,
    scrapeJobs: metrics.scrapeJobs,
    metricsWriteUrl: links.runsBackends ? links.metricsWriteUrl : undefined,
    backends: links.runsBackends,
    grafanaDatasourceUrls: grafanaDatasources.map((d) => d.url),
    grafanaIngressNamespaces: config.grafana.ingressNamespaces,
    logAgent: config.logs.agent,
    collectorAgent: config.otelCollector.agent.enabled,
    deployAnnotation: config.gitops.deployAnnotation.enabled && links.runsBackends && !operator,
    alertmanager: links.runsBackends && config.alerting.engine === 'prometheus' && !operator,
    alertSender: metrics.scraper === 'prometheus' ? 'prometheus' : 'vmalert',
    traceSampler: links.runsBackends && config.otelCollector.tailSampling !== undefined,
    postgres: pg ? { namespace: pg.namespace, app: pg.name, port: 5432, exporterPort: POSTGRES_EXPORTER_PORT } : undefined,
    componentFlows,
    extraFlows: [...metrics.flows, ...scalingFlows(config, links)],
  });
  // Application namespaces (the shared PostgreSQL's) are not owned: there the policies select the stack's pods only.
  new NetworkPolicies(ctx.chart('security', undefined, SyncWave.FOUNDATION), 'network-policies', {
    ownedNamespaces: [ns.monitoring, ns.nodeAgents],
    flows,
  });
}
