import { ALERTMANAGER_PORT } from '../components/alertmanager/alertmanager';
import { GRAFANA_PORT } from '../components/grafana/grafana';
import { JAEGER_PORTS } from '../components/jaeger/jaeger';
import { LOKI_GRPC_PORT, LOKI_HTTP_PORT } from '../components/loki/common';
import { COLLECTOR_PORTS } from '../components/otel-collector/collector-config';
import { PROMETHEUS_PORT } from '../components/prometheus/prometheus';
import { ScrapeJob } from '../lib/scrape';
import { Endpoint, Flow, FlowSource, scrapeFlows, urlFlow } from './network-policies';

/**
 * The table of every connection the platform needs, in one place. The
 * NetworkPolicies are computed from it (src/security/network-policies.ts);
 * test/network-policies.test.ts derives the flows independently from the
 * synthesized configs (scrape jobs, URLs, Service ports) and proves each one
 * is admitted, so a component that starts talking to another fails the test
 * until its flow is here.
 *
 * Ports are the components' own (Service and container ports); names are the
 * pods' `app.kubernetes.io/name`, which is also the name of their Service.
 */
export interface PlatformFlowsOptions {
  readonly monitoring: string;
  readonly nodeAgents: string;
  /** `app.kubernetes.io/name` of the pods that scrape: prometheus, or vmagent with VictoriaMetrics. @default 'prometheus' */
  readonly scraper?: string;
  /** Namespace of the scraper's pods, when not the stack's own (the Prometheus Operator's). @default monitoring */
  readonly scraperNamespace?: string;
  /**
   * Namespace of a Grafana the stack does not deploy (kube-prometheus-stack's, with metrics.backend
   * "prometheus-operator"): its pods reach the datasources, and nothing here reaches it. @default Grafana is the stack's
   */
  readonly externalGrafanaNamespace?: string;
  /** Every scrape job the scraper runs: the stack's own targets come from them. */
  readonly scrapeJobs: readonly ScrapeJob[];
  /**
   * Where the collector and Loki's ruler remote-write (an in-cluster URL). @default Prometheus' /api/v1/write
   */
  readonly metricsWriteUrl?: string;
  /** Whether Loki and Jaeger run here; false on an agent cluster, which ships to a central one. @default true */
  readonly backends?: boolean;
  /** The collector sends traces through the tail-sampling tier (otel-collector-sampler) to Jaeger. @default false */
  readonly traceSampler?: boolean;
  /** Flows the component modules declare for their own pods. @default none */
  readonly componentFlows?: readonly Flow[];
  /** Flows of optional components (VictoriaMetrics, Loki HA, a central cluster's ingress). @default none */
  readonly extraFlows?: readonly Flow[];
  /** URLs of Grafana's datasources (Prometheus, Loki, Jaeger, PostgreSQL). */
  readonly grafanaDatasourceUrls: readonly string[];
  /** Namespaces whose pods may open Grafana (an ingress controller's); undefined: any namespace. */
  readonly grafanaIngressNamespaces?: readonly string[];
  /** `app.kubernetes.io/name` of the log agent: promtail or alloy. */
  readonly logAgent: string;
  readonly collectorAgent: boolean;
  readonly deployAnnotation: boolean;
  /** Alertmanager is deployed (alerting.engine: prometheus). */
  readonly alertmanager: boolean;
  /** `app.kubernetes.io/name` of the pods that send alerts to Alertmanager: prometheus, or vmalert. @default 'prometheus' */
  readonly alertSender?: string;
  /** The shared PostgreSQL in an application namespace, when deployed. */
  readonly postgres?: Endpoint & { readonly port: number; readonly exporterPort: number };
}

// The components' own ports: a component that moves a port moves its flows with it.
const OTLP_GRPC_PORT = COLLECTOR_PORTS.otlpGrpc;
const OTLP_HTTP_PORT = COLLECTOR_PORTS.otlpHttp;
const JAEGER_OTLP_GRPC_PORT = JAEGER_PORTS.otlpGrpc;

export function platformFlows(o: PlatformFlowsOptions): Flow[] {
  const at = (app: string, namespace = o.monitoring): Endpoint => ({ namespace, app });
  const pods = (app: string, namespace = o.monitoring): FlowSource => ({ pods: at(app, namespace) });
  const scraper = at(o.scraper ?? 'prometheus', o.scraperNamespace);
  const applications: FlowSource = { anyNamespace: true };
  const backends = o.backends ?? true;
  // A Prometheus in a namespace the stack does not own gets no policy: one would isolate its pods from their other clients.
  const metricsWrite = (from: FlowSource, why: string): Flow[] =>
    o.scraperNamespace !== undefined
      ? []
      : [o.metricsWriteUrl ? urlFlow(from, o.metricsWriteUrl, why) : { from, to: at('prometheus'), ports: [PROMETHEUS_PORT], why }];

  const grafana: Flow[] = o.externalGrafanaNamespace !== undefined
    ? o.grafanaDatasourceUrls.map((url) => urlFlow(pods('grafana', o.externalGrafanaNamespace), url, `Grafana datasource ${url}`))
    : [
    // Grafana's pod carries prometheus.io/scrape, so the annotated-pods job reads it.
    { from: { pods: scraper }, to: at('grafana'), ports: [GRAFANA_PORT], why: 'annotated-pods scrape of Grafana' },
    ...o.grafanaDatasourceUrls.map((url) => urlFlow(pods('grafana'), url, `Grafana datasource ${url}`)),
    {
      from: o.grafanaIngressNamespaces ? { namespaces: o.grafanaIngressNamespaces } : applications,
      to: at('grafana'),
      ports: [GRAFANA_PORT],
      why: o.grafanaIngressNamespaces ? 'users, through the ingress controller' : 'users, through any ingress controller (grafana.ingressNamespaces not set)',
    },
  ];
  const flows: Flow[] = [
    ...scrapeFlows(scraper, o.scrapeJobs),
    // An agent cluster runs no Grafana.
    ...(backends ? grafana : []),
    // Applications send OTLP from wherever they run; the stack does not enumerate their namespaces.
    { from: applications, to: at('otel-collector'), ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], why: 'applications send OTLP' },
  ];
  // An agent cluster ships to the central cluster's endpoints: egress is not restricted, so its senders need no flow.
  if (backends) {
    flows.push(
      ...metricsWrite(pods('otel-collector'), 'collector remote-writes metrics'),
      { from: pods('otel-collector'), to: at('loki'), ports: [LOKI_HTTP_PORT], why: "collector sends logs to Loki's OTLP endpoint" },
      ...(o.traceSampler
        ? [
            { from: pods('otel-collector'), to: at('otel-collector-sampler'), ports: [OTLP_GRPC_PORT], why: 'gateways balance traces by trace ID over the samplers' },
            { from: pods('otel-collector-sampler'), to: at('jaeger'), ports: [JAEGER_OTLP_GRPC_PORT], why: 'samplers send the kept traces to Jaeger' },
          ]
        : [{ from: pods('otel-collector'), to: at('jaeger'), ports: [JAEGER_OTLP_GRPC_PORT], why: 'collector sends traces to Jaeger over OTLP' }]),
      { from: pods(o.logAgent, o.nodeAgents), to: at('loki'), ports: [LOKI_HTTP_PORT], why: 'log agent pushes lines' },
      ...metricsWrite(pods('loki'), "Loki's ruler remote-writes recorded series"),
      // Single binary: the querier reaches the query frontend over gRPC at its own pod address, which some CNIs police too.
      { from: pods('loki'), to: at('loki'), ports: [LOKI_GRPC_PORT], why: "Loki's querier and frontend in one pod" },
    );
  }
  flows.push(...(o.componentFlows ?? []));
  if (o.collectorAgent) {
    flows.push(
      { from: pods('otel-collector-agent', o.nodeAgents), to: at('otel-collector'), ports: [OTLP_GRPC_PORT], why: 'node agent forwards to the gateway' },
      { from: applications, to: at('otel-collector-agent', o.nodeAgents), ports: [OTLP_GRPC_PORT, OTLP_HTTP_PORT], why: 'applications send OTLP to their node' },
    );
  }
  if (o.deployAnnotation) {
    flows.push({ from: pods('deploy-annotation'), to: at('grafana'), ports: [GRAFANA_PORT], why: 'PostSync Job posts the deploy annotation' });
  }
  if (o.alertmanager) {
    const sender = o.alertSender ?? 'prometheus';
    if (sender === scraper.app) {
      // Alerts are pushed to Alertmanager's API on the same port it is scraped on (prometheus.io/port).
      flows.push({ from: pods(sender), to: at('alertmanager'), ports: [ALERTMANAGER_PORT], why: 'Prometheus sends alerts; annotated-pods scrape of Alertmanager' });
    } else {
      flows.push(
        { from: pods(sender), to: at('alertmanager'), ports: [ALERTMANAGER_PORT], why: `${sender} sends alerts` },
        { from: { pods: scraper }, to: at('alertmanager'), ports: [ALERTMANAGER_PORT], why: 'annotated-pods scrape of Alertmanager' },
      );
    }
  }
  if (o.postgres) {
    const pg = at(o.postgres.app, o.postgres.namespace);
    flows.push(
      // The database of the applications: they connect from their own namespaces, which the stack does not
      // enumerate; PostgreSQL's roles and pg_hba guard it. Only the exporter port is narrowed to Prometheus.
      { from: applications, to: pg, ports: [o.postgres.port], why: 'applications use their database' },
      { from: { pods: scraper }, to: pg, ports: [o.postgres.exporterPort], why: 'annotated-pods scrape of postgres_exporter' },
    );
  }
  flows.push(...(o.extraFlows ?? []));
  return flows;
}
