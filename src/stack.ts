import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { RenderedRuleGroup, renderRuleGroup, ruleFileYaml, RuleGroupSpec } from './alerting/rule-model';
import { Grafana } from './components/grafana/grafana';
import { KubeStateMetrics } from './components/kube-state-metrics/kube-state-metrics';
import { Namespaces } from './components/namespaces/namespaces';
import { NodeExporter } from './components/node-exporter/node-exporter';
import { stackHealthDashboard } from './components/prometheus/dashboard';
import { Prometheus } from './components/prometheus/prometheus';
import { selfMonitoringRules } from './components/prometheus/rules';
import { StackConfig } from './config/schema';
import { DATASOURCE } from './dashboards/datasources';
import { dashboardJson, GrafanaDashboard } from './dashboards/grafana-dashboard';
import { PART_OF, standardLabels } from './lib/labels';
import { ScrapeJob } from './lib/scrape';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GrafanaDatasource } from './components/grafana/grafana';
import { Loki } from './components/loki/loki';
import { lokiRules } from './components/loki/rules';
import { logsDashboard } from './components/loki/dashboard';
import { LogAgent } from './components/log-agent/log-agent';
import { logAgentRules } from './components/log-agent/rules';
import { EventExporter } from './components/event-exporter/event-exporter';
import { eventExporterRules } from './components/event-exporter/rules';

/**
 * One environment of the platform. This is the only place where components
 * meet: it turns the validated config into flat component props and computes
 * every link between them (namespaces, URLs, datasource uids, scrape jobs,
 * rule and dashboard wiring) once.
 *
 * Each component goes into its own Chart, so `dist/<env>/` holds one
 * `<component>.k8s.yaml` per component and reviewers see changes per component.
 */
export class Stack extends Construct {
  /** Plain files written beside the manifests: `rules/<group>.yaml` and `dashboards/<uid>.json`. */
  public readonly files = new Map<string, string>();
  public readonly ruleGroups: RenderedRuleGroup[];
  public readonly components: string[] = [];

  constructor(scope: App, id: string, config: StackConfig) {
    super(scope, id);
    const env = config.environment;
    const ns = config.namespaces;
    // Cluster-scoped objects (ClusterRoles, PriorityClasses) carry the namespace in their name,
    // so two environments can share a cluster without overwriting each other's.
    const clusterScopedPrefix = ns.monitoring;
    const runbookBaseUrl =
      config.alerting.runbookBaseUrl ??
      `${config.repository.url.replace(/\/+$/, '')}/blob/${config.repository.revision}/docs/runbooks`;

    const chart = (name: string, namespace?: string) => {
      this.components.push(name);
      return new Chart(scope, name, { namespace, labels: { 'app.kubernetes.io/part-of': PART_OF, environment: env } });
    };

    const namespaces = new Namespaces(chart('namespaces'), 'namespaces', {
      monitoring: ns.monitoring,
      nodeAgents: ns.nodeAgents,
      environment: env,
      clusterScopedPrefix,
    });

    const kubeStateMetrics = new KubeStateMetrics(chart('kube-state-metrics', ns.monitoring), 'kube-state-metrics', {
      namespace: ns.monitoring,
      clusterScopedPrefix,
      resources: config.kubeStateMetrics.resources,
    });
    const nodeExporter = new NodeExporter(chart('node-exporter', ns.nodeAgents), 'node-exporter', {
      namespace: ns.nodeAgents,
      priorityClassName: namespaces.nodeAgentPriorityClass,
      port: config.nodeExporter.port,
      resources: config.nodeExporter.resources,
    });

    const logs = this.logsPillar(chart, config, namespaces.nodeAgentPriorityClass, clusterScopedPrefix);

    const ruleSpecs: RuleGroupSpec[] = [selfMonitoringRules(), ...logs.ruleGroups];
    this.ruleGroups = ruleSpecs.map((g) => renderRuleGroup(g, { runbookBaseUrl }));
    for (const group of this.ruleGroups) this.files.set(`rules/${group.name}.yaml`, ruleFileYaml([group]));

    const prometheus = new Prometheus(chart('prometheus', ns.monitoring), 'prometheus', {
      namespace: ns.monitoring,
      clusterScopedPrefix,
      scrapeInterval: config.prometheus.scrapeInterval,
      evaluationInterval: config.prometheus.evaluationInterval,
      retention: config.prometheus.retention,
      retentionSize: config.prometheus.retentionSize,
      storageSize: config.prometheus.storage.size,
      storageClassName: config.prometheus.storage.storageClassName,
      resources: config.prometheus.resources,
      externalLabels: { cluster: config.cluster, environment: env },
      extraScrapeJobs: [kubeStateMetrics.scrapeJob, nodeExporter.scrapeJob, ...logs.scrapeJobs],
      ruleGroups: this.ruleGroups,
    });

    const grafanaChart = chart('grafana', ns.monitoring);
    const dashboards = [stackHealthDashboard(), ...logs.dashboards].map(
      (builder) =>
        new GrafanaDashboard(grafanaChart, `dashboard-${builder.build().uid}`, {
          namespace: ns.monitoring,
          builder,
          labels: standardLabels({ name: 'grafana', component: 'dashboards' }),
        }),
    );
    for (const d of dashboards) this.files.set(`dashboards/${d.dashboard.uid}.json`, dashboardJson(d.dashboard));

    new Grafana(grafanaChart, 'grafana', {
      namespace: ns.monitoring,
      adminSecret: {
        name: config.grafana.adminCredentials.secretName,
        userKey: config.grafana.adminCredentials.userKey,
        passwordKey: config.grafana.adminCredentials.passwordKey,
      },
      anonymousViewer: config.grafana.anonymousViewer,
      storageSize: config.grafana.storage.size,
      storageClassName: config.grafana.storage.storageClassName,
      resources: config.grafana.resources,
      datasources: [
        {
          name: 'Prometheus',
          type: DATASOURCE.prometheus.type,
          uid: DATASOURCE.prometheus.uid,
          url: prometheus.url,
          access: 'proxy',
          isDefault: true,
          editable: false,
          jsonData: { timeInterval: config.prometheus.scrapeInterval, httpMethod: 'POST' },
        },
        ...logs.datasources,
      ],
      dashboardConfigMaps: dashboards.map((d) => d.configMapName),
    });
  }
  /**
   * The logs pillar: Loki, the node log agent (Promtail or Alloy, per logs.agent)
   * pushing to it, the Kubernetes event exporter, and what Prometheus and
   * Grafana need from them.
   */
  private logsPillar(
    chart: (name: string, namespace?: string) => Chart,
    config: StackConfig,
    priorityClassName: string,
    clusterScopedPrefix: string,
  ): { scrapeJobs: ScrapeJob[]; ruleGroups: RuleGroupSpec[]; dashboards: DashboardBuilder[]; datasources: GrafanaDatasource[] } {
    const ns = config.namespaces;
    const logs = config.logs;
    const loki = new Loki(chart('loki', ns.monitoring), 'loki', {
      namespace: ns.monitoring,
      retention: logs.retention,
      ingestion: logs.ingestion,
      storageSize: logs.storage.size,
      storageClassName: logs.storage.storageClassName,
      resources: logs.resources,
    });
    const agent = new LogAgent(chart('log-agent', ns.nodeAgents), 'log-agent', {
      namespace: ns.nodeAgents,
      clusterScopedPrefix,
      priorityClassName,
      agent: logs.agent,
      pushUrl: loki.pushUrl,
      postgresApps: logs.postgresApps,
      resources: logs.agentResources,
    });
    const scrapeJobs = [loki.scrapeJob, agent.scrapeJob];
    const ruleGroups = [lokiRules(), logAgentRules()];
    if (logs.eventExporter.enabled) {
      const exporter = new EventExporter(chart('kube-event-exporter', ns.monitoring), 'kube-event-exporter', {
        namespace: ns.monitoring,
        clusterScopedPrefix,
        lokiPushUrl: loki.pushUrl,
        replicas: logs.eventExporter.replicas,
        resources: logs.eventExporter.resources,
      });
      scrapeJobs.push(exporter.scrapeJob);
      ruleGroups.push(eventExporterRules());
    }
    return {
      scrapeJobs,
      ruleGroups,
      dashboards: [logsDashboard()],
      datasources: [
        {
          name: 'Loki',
          type: DATASOURCE.loki.type,
          uid: DATASOURCE.loki.uid,
          url: loki.url,
          access: 'proxy',
          editable: false,
          // Queries over days of logs take longer than Grafana's 30 s default.
          jsonData: { maxLines: 1000, timeout: 120 },
        },
      ],
    };
  }
}
