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
import { ObservablePostgres } from './components/postgres/postgres';
import { queryPerformanceDashboard } from './components/postgres/dashboard';
import { autoExplainLokiRules, postgresRules } from './components/postgres/rules';
import { SharedPostgres } from './components/postgres/shared-postgres';
import { GrafanaDatasource } from './components/grafana/grafana';
import { StackConfig } from './config/schema';
import { DATASOURCE } from './dashboards/datasources';
import { dashboardJson, GrafanaDashboard } from './dashboards/grafana-dashboard';
import { PART_OF, standardLabels } from './lib/labels';
import { k8s } from 'cdk8s-plus-28';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

/** What a component contributes to the shared backends (rules, dashboards, datasources, Grafana env). */
interface Contribution {
  readonly ruleGroups: RuleGroupSpec[];
  readonly dashboards: DashboardBuilder[];
  readonly datasources: GrafanaDatasource[];
  readonly grafanaEnv: k8s.EnvVar[];
}

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

    const postgres = this.postgres(config, chart);

    const ruleSpecs: RuleGroupSpec[] = [selfMonitoringRules(), ...postgres.ruleGroups];
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
      extraScrapeJobs: [kubeStateMetrics.scrapeJob, nodeExporter.scrapeJob],
      ruleGroups: this.ruleGroups,
    });

    const grafanaChart = chart('grafana', ns.monitoring);
    const dashboards = [stackHealthDashboard(), ...postgres.dashboards].map(
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
      extraEnv: postgres.grafanaEnv,
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
        ...postgres.datasources,
      ],
      dashboardConfigMaps: dashboards.map((d) => d.configMapName),
    });
  }

  /**
   * The seeds' shared PostgreSQL, made observable: its own chart in the
   * applications' namespace, rules and the Query Performance dashboard for the
   * monitoring side, one Grafana datasource per database.
   */
  private postgres(config: StackConfig, chart: (name: string, namespace?: string) => Chart): Contribution {
    const pg = config.postgres;
    if (!pg) return { ruleGroups: [], dashboards: [], datasources: [], grafanaEnv: [] };
    const postgresChart = chart('postgres', pg.namespace);
    const server = new SharedPostgres(postgresChart, 'postgres', {
      namespace: pg.namespace,
      name: pg.name,
      superuserPassword: { secretName: pg.superuserCredentials.secretName, key: pg.superuserCredentials.passwordKey },
      storageSize: pg.storage.size,
      storageClassName: pg.storage.storageClassName,
      resources: pg.resources,
    });
    const creds = pg.observabilityCredentials;
    const observable = new ObservablePostgres(postgresChart, 'observability', {
      statefulSet: server.statefulSet,
      container: server.container,
      databases: pg.databases,
      grafanaReaderPassword: { secretName: creds.secretName, key: creds.grafanaReaderPasswordKey },
      exporterPassword: { secretName: creds.secretName, key: creds.exporterPasswordKey },
      settings: { slowStatementThresholdMs: pg.slowStatementThresholdMs, logAnalyze: pg.logAnalyze },
      topStatements: pg.topStatements,
      exporterResources: pg.exporterResources,
    });
    // The Loki ruler's rule for PostgresAutoExplainStalled; it joins Loki's rules when Loki is deployed.
    this.files.set('loki-rules/postgres-auto-explain.yaml', ruleFileYaml([renderRuleGroup(autoExplainLokiRules({ namespace: pg.namespace, app: pg.name }), { runbookBaseUrl: '' })]));
    // Not GF_-prefixed: Grafana would read that as a setting of its own.
    const passwordEnv = 'POSTGRES_GRAFANA_READER_PASSWORD';
    return {
      ruleGroups: postgresRules({ slowStatementThresholdMs: pg.slowStatementThresholdMs }),
      dashboards: [queryPerformanceDashboard({ namespace: pg.namespace, app: pg.name })],
      datasources: observable.grafanaDatasources({ passwordEnv, postgresVersion: 17 }),
      grafanaEnv:
        pg.databases.length === 0
          ? []
          : [{ name: passwordEnv, valueFrom: { secretKeyRef: { name: creds.secretName, key: creds.grafanaReaderPasswordKey } } }],
    };
  }
}
