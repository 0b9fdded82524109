import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { applyOverrides, RenderedRuleGroup, renderRuleGroup, ruleFileYaml, RuleGroupSpec } from './kit/rule-model';
import { platformGroups } from './alerting/catalogue';
import { grafanaAlerting } from './alerting/grafana-provisioning';
import { Alertmanager } from './components/alertmanager/alertmanager';
import { toYaml } from './lib/yaml';
import { NvidiaDevicePlugin } from './components/gpu/device-plugin';
import { gpuDashboard } from './components/gpu/dashboard';
import { GpuExporter } from './components/gpu/gpu-exporter';
import { gpuRules } from './components/gpu/rules';
import { jaegerDatasource, lokiDatasource, prometheusCorrelation } from './components/grafana/correlation';
import { Grafana } from './components/grafana/grafana';
import { GrafanaDatasource } from './kit/grafana-datasource';
import { userDashboards, userDatasources, UserDatasourceSpec } from './components/grafana/user-content';
import { Jaeger } from './components/jaeger/jaeger';
import { telemetryPipelineDashboard } from './components/otel-collector/dashboard';
import { OtelCollector } from './components/otel-collector/otel-collector';
import { telemetryPipelineRules } from './components/otel-collector/rules';
import { KubeStateMetrics } from './components/kube-state-metrics/kube-state-metrics';
import { Namespaces } from './components/namespaces/namespaces';
import { NodeExporter } from './components/node-exporter/node-exporter';
import { stackHealthDashboard } from './components/prometheus/dashboard';
import { Prometheus } from './components/prometheus/prometheus';
import { selfMonitoringRules } from './components/prometheus/rules';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { ObservablePostgres } from './components/postgres/postgres';
import { queryPerformanceDashboard } from './components/postgres/dashboard';
import { autoExplainLokiRules, postgresRules } from './components/postgres/rules';
import { SharedPostgres } from './components/postgres/shared-postgres';
import { StackConfig } from './config/schema';
import { rabbitmqParts } from './components/rabbitmq/rabbitmq';
import { defaultLatencyThresholdMs } from './catalog/services';
import { ScrapeJob } from './lib/scrape';
import { DATASOURCE } from './kit/datasources';
import { platformDashboards } from './dashboards';
import { renderDashboard } from './kit/dashboard';
import { GrafanaDashboard } from './kit/grafana-dashboard';
import { EnvironmentApplications } from './gitops/applications';
import { DeployAnnotation } from './gitops/deploy-annotation';
import { applySyncWaves } from './gitops/sync-waves';
import { PART_OF, standardLabels } from './lib/labels';
import { k8s } from 'cdk8s-plus-28';
import { Loki } from './components/loki/loki';
import { lokiRules } from './components/loki/rules';
import { logsDashboard } from './components/loki/dashboard';
import { LogAgent } from './components/log-agent/log-agent';
import { logAgentRules } from './components/log-agent/rules';
import { EventExporter } from './components/event-exporter/event-exporter';
import { eventExporterRules } from './components/event-exporter/rules';
import { EXPORTER_PORT as POSTGRES_EXPORTER_PORT } from './components/postgres/postgres';
import { addDisruptionBudgets } from './security/disruption-budgets';
import { platformFlows } from './security/flows';
import { Flow, FlowSource, NetworkPolicies, urlFlow } from './security/network-policies';
import { LokiHa } from './components/loki/loki-ha';
import { VictoriaMetrics, VictoriaMetricsCluster, VictoriaMetricsStore } from './components/victoriametrics/victoriametrics';
import { VmAgent } from './components/victoriametrics/vmagent';
import { VmAlert } from './components/victoriametrics/vmalert';
import { scalingFlows } from './topology/flows';
import { TelemetryLinks, telemetryLinks } from './topology/links';

export interface StackOptions {
  /**
   * Deterministic identity of the sources (`sourceIdentity()` of the project),
   * tagged on the deploy annotation.
   */
  readonly sourceIdentity: string;
  /**
   * App whose outdir is `<out>/<env>/argocd/`: the Argo CD Applications go
   * there, apart from the environment's own manifests.
   */
  readonly argocd: App;
  /**
   * Directory the config's relative paths (`grafana.dashboards[].file`) start from: the config file's.
   * @default process.cwd()
   */
  readonly configDir?: string;
  /** Your own dashboards built in code, provisioned and checked like the config's `grafana.dashboards`. @default none */
  readonly dashboards?: readonly DashboardBuilder[];
  /** Your own datasources from code, added to the config's `grafana.datasources`. @default none */
  readonly datasources?: readonly UserDatasourceSpec[];
}

/** The user's own alerts (`extraAlertRules`), as one group beside the platform's; none when the list is empty. */
function extraAlertRuleGroups(config: StackConfig): RuleGroupSpec[] {
  if (config.extraAlertRules.length === 0) return [];
  return [{ name: 'extra-alert-rules', rules: config.extraAlertRules.map((r) => ({ ...r })) }];
}

/** The metrics side as the rest of the Stack sees it (issue 11). */
interface MetricsBackend {
  /** Prometheus-compatible query URL for Grafana; undefined on an agent cluster, which has no Grafana. */
  readonly queryUrl: string | undefined;
  /** `app.kubernetes.io/name` of the pods that scrape: prometheus or vmagent. */
  readonly scraper: string;
  /** Every scrape job the scraper runs. */
  readonly scrapeJobs: readonly ScrapeJob[];
  /** Connections between the metrics components themselves. */
  readonly flows: readonly Flow[];
}

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

  constructor(scope: App, id: string, config: StackConfig, options: StackOptions) {
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
      applicationNamespaces: config.postgres ? [config.postgres.namespace] : [],
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

    const links = telemetryLinks(config);
    const gpu = this.gpu(config, chart, namespaces.nodeAgentPriorityClass);
    // LogQL recording rules for Loki's ruler, remote-written to the metrics store (the auto_explain plan count).
    // An agent has no Loki: the central cluster's config carries the rule for its own database.
    const lokiRuleGroups =
      config.postgres && links.runsBackends
        ? [renderRuleGroup(autoExplainLokiRules({ namespace: config.postgres.namespace, app: config.postgres.name }), { runbookBaseUrl })]
        : [];
    for (const group of lokiRuleGroups) this.files.set(`loki-rules/${group.name}.yaml`, ruleFileYaml([group]));
    const logs = this.logsPillar(chart, config, namespaces.nodeAgentPriorityClass, clusterScopedPrefix, links, lokiRuleGroups);
    const telemetry = this.telemetryPipeline(chart, config, namespaces.nodeAgentPriorityClass, clusterScopedPrefix, links);
    const postgres = this.postgres(config, chart);
    const rabbitmq = rabbitmqParts(config);

    // An agent cluster evaluates no rules and draws no dashboards: the central cluster does, over every cluster's series.
    const ruleSpecs: RuleGroupSpec[] = links.runsBackends
      ? [
          selfMonitoringRules(),
          ...gpu.ruleGroups,
          ...telemetry.ruleGroups,
          ...logs.ruleGroups,
          ...postgres.ruleGroups,
          ...rabbitmq.ruleGroups,
          ...extraAlertRuleGroups(config),
          ...platformGroups(config),
        ]
      : [];
    // The config's per-alert settings (off, `for`, severity, thresholds) apply to every group, component ones included.
    this.ruleGroups = applyOverrides(ruleSpecs, config.alerting.rules).map((g) => renderRuleGroup(g, { runbookBaseUrl }));
    for (const group of this.ruleGroups) this.files.set(`rules/${group.name}.yaml`, ruleFileYaml([group]));
    // An agent has no rules to evaluate, so no Alertmanager and no Grafana alerting either.
    const alerting = links.runsBackends ? this.alerting(config, chart, this.ruleGroups) : undefined;

    const scrapeJobs = [
      kubeStateMetrics.scrapeJob,
      nodeExporter.scrapeJob,
      ...gpu.scrapeJobs,
      ...telemetry.scrapeJobs,
      ...logs.scrapeJobs,
      ...rabbitmq.scrapeJobs,
    ];
    const metrics = this.metricsBackend(chart, config, clusterScopedPrefix, links, scrapeJobs, alerting);
    if (!metrics.queryUrl || !alerting) {
      this.addGitOps(config, options, chart, undefined);
      this.hardening(config, chart, links, metrics, []);
      addDisruptionBudgets(scope);
      applySyncWaves(scope);
      return;
    }

    const grafanaChart = chart('grafana', ns.monitoring);
    const builtInDatasources: GrafanaDatasource[] = [
      {
        name: 'Prometheus',
        type: DATASOURCE.prometheus.type,
        uid: DATASOURCE.prometheus.uid,
        // VictoriaMetrics answers the Prometheus query API, so the datasource (and every dashboard's uid) stays the same.
        url: metrics.queryUrl,
        access: 'proxy',
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: config.prometheus.scrapeInterval, httpMethod: 'POST', ...prometheusCorrelation() },
      },
      ...telemetry.datasources,
      ...logs.datasources,
      ...postgres.datasources,
    ];
    const configDatasources = config.grafana.datasources.length;
    const user = userDatasources([...config.grafana.datasources, ...(options.datasources ?? [])], builtInDatasources, (i) =>
      i < configDatasources ? `grafana.datasources[${i}]` : `StackOptions.datasources[${i - configDatasources}]`,
    );
    const datasources = [...builtInDatasources, ...user.datasources];

    const builtInDashboards = [
      stackHealthDashboard(),
      ...gpu.dashboards,
      ...telemetry.dashboards,
      ...logs.dashboards,
      ...postgres.dashboards,
      ...rabbitmq.dashboards,
      ...this.catalogueDashboards(config),
    ].map((builder) => renderDashboard(builder));
    const dashboards = [
      ...builtInDashboards,
      ...userDashboards({
        files: config.grafana.dashboards,
        baseDir: options.configDir ?? process.cwd(),
        builders: options.dashboards ?? [],
        datasourceUids: datasources.map((d) => d.uid),
        builtInUids: builtInDashboards.map((d) => d.uid),
      }),
    ].map(
      (dashboard) =>
        new GrafanaDashboard(grafanaChart, `dashboard-${dashboard.uid}`, {
          namespace: ns.monitoring,
          dashboard,
          labels: standardLabels({ name: 'grafana', component: 'dashboards' }),
        }),
    );
    for (const d of dashboards) this.files.set(`dashboards/${d.dashboard.uid}.json`, d.jsonText);

    const grafana = new Grafana(grafanaChart, 'grafana', {
      namespace: ns.monitoring,
      adminSecret: {
        name: config.grafana.adminCredentials.secretName,
        userKey: config.grafana.adminCredentials.userKey,
        passwordKey: config.grafana.adminCredentials.passwordKey,
      },
      anonymousViewer: config.grafana.anonymousViewer,
      ingress: config.grafana.ingress,
      storageSize: config.grafana.storage.size,
      storageClassName: config.grafana.storage.storageClassName,
      resources: config.grafana.resources,
      extraEnv: [...postgres.grafanaEnv, ...user.env],
      alerting: alerting.grafana,
      datasources,
      dashboardConfigMaps: dashboards.map((d) => d.configMapName),
    });

    this.addGitOps(config, options, chart, grafana.url);
    // Only the stack's own datasources get NetworkPolicy flows: a policy for a user's datasource would isolate
    // the pods of a namespace the stack does not own.
    this.hardening(config, chart, links, metrics, builtInDatasources);
    addDisruptionBudgets(scope);
    // Last, once every object exists: the sync waves are set for all of them in one place.
    applySyncWaves(scope);
  }

  // ---- hardening (issue 10) -------------------------------------------------------
  /**
   * The NetworkPolicies of the environment, from the one table of flows
   * (src/security/flows.ts), in the `security` chart.
   */
  private hardening(
    config: StackConfig,
    chart: (name: string, namespace?: string) => Chart,
    links: TelemetryLinks,
    metrics: MetricsBackend,
    datasources: readonly GrafanaDatasource[],
  ): void {
    const ns = config.namespaces;
    const pg = config.postgres;
    const flows = platformFlows({
      monitoring: ns.monitoring,
      nodeAgents: ns.nodeAgents,
      scraper: metrics.scraper,
      scrapeJobs: metrics.scrapeJobs,
      metricsWriteUrl: links.runsBackends ? links.metricsWriteUrl : undefined,
      backends: links.runsBackends,
      grafanaDatasourceUrls: datasources.map((d) => d.url),
      grafanaIngressNamespaces: config.grafana.ingressNamespaces,
      logAgent: config.logs.agent,
      eventExporter: config.logs.eventExporter.enabled,
      collectorAgent: config.otelCollector.agent.enabled,
      deployAnnotation: config.gitops.deployAnnotation.enabled && links.runsBackends,
      alertmanager: links.runsBackends && config.alerting.engine === 'prometheus',
      alertSender: metrics.scraper === 'prometheus' ? 'prometheus' : 'vmalert',
      traceSampler: links.runsBackends && config.otelCollector.tailSampling !== undefined,
      postgres: pg ? { namespace: pg.namespace, app: pg.name, port: 5432, exporterPort: POSTGRES_EXPORTER_PORT } : undefined,
      extraFlows: [...metrics.flows, ...scalingFlows(config, links)],
    });
    // Application namespaces (the shared PostgreSQL's) are not owned: there the policies select the stack's pods only.
    new NetworkPolicies(chart('security'), 'network-policies', { ownedNamespaces: [ns.monitoring, ns.nodeAgents], flows });
  }

  // ---- alerting (issue 7) ------------------------------------------------------------
  /**
   * Evaluation and routing, per `alerting.engine`:
   * - prometheus: Prometheus evaluates every group and sends to the Alertmanager deployed here;
   * - grafana: Prometheus keeps only the recording rules (the alerts query their series), and
   *   Grafana evaluates the alerts, with contact points and the policy from provisioning files.
   * The same routing policy drives both (src/components/alertmanager/routing.ts).
   */
  private alerting(
    config: StackConfig,
    chart: (name: string, namespace?: string) => Chart,
    groups: RenderedRuleGroup[],
  ): {
    prometheusRuleGroups: RenderedRuleGroup[];
    alertmanagers: string[];
    grafana?: { files: Record<string, string>; secretName: string; secretDir: string };
  } {
    const a = config.alerting;
    const r = a.receivers;
    const routing = { paging: a.paging, slackChannel: r.slackChannel, telegramChatId: r.telegramChatId, channels: a.channels };
    if (a.engine === 'prometheus') {
      const ns = config.namespaces.monitoring;
      const am = new Alertmanager(chart('alertmanager', ns), 'alertmanager', {
        namespace: ns,
        ...routing,
        secret: {
          name: r.secretName,
          pagerdutyRoutingKeyKey: r.pagerdutyRoutingKeyKey,
          slackWebhookUrlKey: r.slackWebhookUrlKey,
          telegramBotTokenKey: r.telegramBotTokenKey,
          deadmanWebhookUrlKey: r.deadmanWebhookUrlKey,
        },
        retention: a.alertmanager.retention,
        storageSize: a.alertmanager.storage.size,
        storageClassName: a.alertmanager.storage.storageClassName,
        resources: a.alertmanager.resources,
      });
      this.files.set('alertmanager/alertmanager.yml', am.configYaml);
      return { prometheusRuleGroups: groups, alertmanagers: [new URL(am.url).host], grafana: undefined };
    }
    const secretDir = '/etc/grafana/secrets/alerting';
    const files = grafanaAlerting(groups, {
      datasourceUid: DATASOURCE.prometheus.uid,
      folder: 'Platform alerts',
      interval: config.prometheus.evaluationInterval,
      routing,
      secretDir,
      keys: {
        pagerdutyRoutingKey: r.pagerdutyRoutingKeyKey,
        slackWebhookUrl: r.slackWebhookUrlKey,
        telegramBotToken: r.telegramBotTokenKey,
        deadmanWebhookUrl: r.deadmanWebhookUrlKey,
      },
    });
    const yamlFiles = {
      'rules.yaml': toYaml(files.rules),
      'contact-points.yaml': toYaml(files.contactPoints),
      'policies.yaml': toYaml(files.policies),
    };
    for (const [name, text] of Object.entries(yamlFiles)) this.files.set(`grafana-alerting/${name}`, text);
    const recordingOnly = groups
      .map((g) => ({ ...g, rules: g.rules.filter((rule) => 'record' in rule) }))
      .filter((g) => g.rules.length > 0);
    return { prometheusRuleGroups: recordingOnly, alertmanagers: [], grafana: { files: yamlFiles, secretName: r.secretName, secretDir } };
  }

  /**
   * Argo CD: the environment's Applications (in their own App, so they land in
   * dist/<env>/argocd/) and the PostSync Job that posts the deploy annotation.
   */
  private addGitOps(
    config: StackConfig,
    options: StackOptions,
    chart: (name: string, namespace?: string) => Chart,
    grafanaUrl: string | undefined,
  ): void {
    const env = config.environment;
    const gitops = config.gitops;
    new EnvironmentApplications(options.argocd, 'argocd', {
      environment: env,
      repoURL: config.repository.url,
      targetRevision: config.repository.revision,
      project: gitops.project,
      destinationServer: gitops.destinationServer,
      argocdNamespace: gitops.argocdNamespace,
      defaultNamespace: config.namespaces.monitoring,
      manifestsPath: `${gitops.manifestsDirectory}/${env}`,
      syncPolicy: gitops.syncPolicy,
    });
    // An agent cluster has no Grafana to annotate: the central cluster's deploys are annotated there.
    if (gitops.deployAnnotation.enabled && grafanaUrl) {
      new DeployAnnotation(chart('deploy-annotation', config.namespaces.monitoring), 'deploy-annotation', {
        namespace: config.namespaces.monitoring,
        grafanaUrl,
        environment: env,
        deployedNamespace: config.namespaces.monitoring,
        sourceIdentity: options.sourceIdentity,
        tokenSecret: gitops.deployAnnotation.tokenSecret,
      });
    }
  }

  /**
   * GPU nodes: the device plugin and the exporter in the node-agents namespace
   * (chart `gpu`), plus the GPU alerts and dashboard. Nothing when gpu.enabled is false.
   */
  private gpu(
    config: StackConfig,
    chart: (name: string, namespace?: string) => Chart,
    priorityClassName: string,
  ): { scrapeJobs: ScrapeJob[]; ruleGroups: RuleGroupSpec[]; dashboards: DashboardBuilder[] } {
    const gpu = config.gpu;
    if (!gpu.enabled) return { scrapeJobs: [], ruleGroups: [], dashboards: [] };
    const namespace = config.namespaces.nodeAgents;
    const gpuChart = chart('gpu', namespace);
    const runtimeClassName = gpu.runtimeClassName ?? undefined;
    const timeSlicingReplicas = gpu.timeSlicing?.replicas;
    new NvidiaDevicePlugin(gpuChart, 'device-plugin', {
      namespace,
      priorityClassName,
      nodeSelector: gpu.nodeSelector,
      runtimeClassName,
      timeSlicingReplicas,
    });
    const exporter = new GpuExporter(gpuChart, 'exporter', {
      namespace,
      priorityClassName,
      nodeSelector: gpu.nodeSelector,
      exporter: gpu.exporter,
      runtimeClassName,
      requestGpu: gpu.exporterRequestsGpu,
      timeSlicingReplicas,
    });
    return {
      scrapeJobs: [exporter.scrapeJob],
      ruleGroups: [
        gpuRules({
          exporter: gpu.exporter,
          aiService: gpu.aiService,
          temperatureCelsius: gpu.thresholds.temperatureCelsius,
          memoryUsedRatio: gpu.thresholds.memoryUsedRatio,
        }),
      ],
      dashboards: [
        gpuDashboard({
          exporter: gpu.exporter,
          temperatureCelsius: gpu.thresholds.temperatureCelsius,
          memoryUsedRatio: gpu.thresholds.memoryUsedRatio,
        }),
      ],
    };
  }

  // ---- the service catalogue (issue 8) ------------------------------------------
  /** Dashboards generated from the service catalogue and the SLO targets. */
  private catalogueDashboards(config: StackConfig): DashboardBuilder[] {
    return platformDashboards({ services: config.services, slo: config.slo });
  }

  /**
   * Traces and the telemetry pipeline (issue 4): Jaeger, the OpenTelemetry
   * Collector, their rules and dashboard, and the Grafana datasources that
   * link metrics, logs and traces. Loki comes from the logs pillar; the
   * collector sends logs to its OTLP endpoint.
   */
  private telemetryPipeline(
    chart: (name: string, namespace?: string) => Chart,
    config: StackConfig,
    nodeAgentPriorityClass: string,
    clusterScopedPrefix: string,
    links: TelemetryLinks,
  ): { scrapeJobs: ScrapeJob[]; ruleGroups: RuleGroupSpec[]; dashboards: DashboardBuilder[]; datasources: GrafanaDatasource[] } {
    const ns = config.namespaces;
    const traces = config.traces;

    // An agent cluster keeps no traces: its gateway ships them to the central collector.
    const jaeger = links.runsBackends
      ? new Jaeger(chart('jaeger', ns.monitoring), 'jaeger', {
          namespace: ns.monitoring,
          storage: traces.storage,
          retention: traces.retention,
          maxTraces: traces.maxTraces,
          storageSize: traces.volume.size,
          storageClassName: traces.volume.storageClassName,
          searchStore: traces.searchStore,
          resources: traces.resources,
        })
      : undefined;

    const sampling = config.otelCollector.tailSampling;
    const collector = new OtelCollector(chart('otel-collector', ns.monitoring), 'otel-collector', {
      namespace: ns.monitoring,
      clusterScopedPrefix,
      environment: config.environment,
      metricsRemoteWriteUrl: links.metricsWriteUrl,
      lokiOtlpUrl: links.lokiOtlpUrl,
      lokiTenant: links.lokiTenant,
      jaegerOtlpEndpoint: jaeger?.otlpGrpcEndpoint,
      tracesOtlpHttpUrl: links.centralOtlpUrl,
      // Only series leaving for a central store need the cluster label here: local ones get it from the store's readers.
      metricsExternalLabels: links.runsBackends ? undefined : { cluster: config.cluster },
      clusterName: links.runsBackends ? undefined : config.cluster,
      queueStorageSize: config.otelCollector.queueStorage.size,
      queueStorageClassName: config.otelCollector.queueStorage.storageClassName,
      resources: config.otelCollector.resources,
      replicas: config.otelCollector.replicas,
      tailSampling: sampling
        ? {
            replicas: sampling.replicas,
            decisionWait: sampling.decisionWait,
            keepPercentage: sampling.keepPercentage,
            // A trace slower than the latency SLO is exactly the one someone will look for.
            slowThresholdMs: defaultLatencyThresholdMs(config.slo),
            resources: sampling.resources,
          }
        : undefined,
      agent: config.otelCollector.agent.enabled
        ? { namespace: ns.nodeAgents, priorityClassName: nodeAgentPriorityClass, resources: config.otelCollector.agent.resources }
        : undefined,
    });

    return {
      scrapeJobs: [...(jaeger ? [jaeger.scrapeJob] : []), ...collector.scrapeJobs],
      ruleGroups: [telemetryPipelineRules()],
      dashboards: [telemetryPipelineDashboard()],
      datasources: jaeger ? [jaegerDatasource(jaeger.queryUrl)] : [],
    };
  }

  // ---- the metrics backend and topology (issue 11) -------------------------------
  /**
   * What stores and evaluates metrics: Prometheus (the default), or vmagent +
   * VictoriaMetrics (single node or cluster) + vmalert running the same scrape
   * jobs and rule files. An agent cluster gets only vmagent, remote-writing to
   * the central store with the `cluster` external label. Returns what Grafana
   * and the NetworkPolicies need: the Prometheus-compatible query URL
   * (undefined for an agent), who scrapes, every job it runs, and the flows
   * between the metrics components.
   */
  private metricsBackend(
    chart: (name: string, namespace?: string) => Chart,
    config: StackConfig,
    clusterScopedPrefix: string,
    links: TelemetryLinks,
    scrapeJobs: ScrapeJob[],
    alerting: { prometheusRuleGroups: RenderedRuleGroup[]; alertmanagers: string[] } | undefined,
  ): MetricsBackend {
    const ns = config.namespaces.monitoring;
    const externalLabels = { cluster: config.cluster, environment: config.environment };
    const vmagent = (remoteWriteUrl: string, jobs: ScrapeJob[]) =>
      new VmAgent(chart('vmagent', ns), 'vmagent', {
        namespace: ns,
        clusterScopedPrefix,
        scrapeInterval: config.prometheus.scrapeInterval,
        externalLabels,
        extraScrapeJobs: jobs,
        remoteWriteUrl,
        storageClassName: config.prometheus.storage.storageClassName,
      });

    if (!links.runsBackends || !alerting) {
      vmagent(links.metricsWriteUrl, scrapeJobs);
      // The remote end is outside the cluster: egress is not restricted, so no flow is needed.
      return { queryUrl: undefined, scraper: 'vmagent', scrapeJobs, flows: [] };
    }

    const backend = config.metrics.backend;
    if (backend === 'prometheus') {
      const prometheus = new Prometheus(chart('prometheus', ns), 'prometheus', {
        namespace: ns,
        clusterScopedPrefix,
        scrapeInterval: config.prometheus.scrapeInterval,
        evaluationInterval: config.prometheus.evaluationInterval,
        retention: config.prometheus.retention,
        retentionSize: config.prometheus.retentionSize,
        storageSize: config.prometheus.storage.size,
        storageClassName: config.prometheus.storage.storageClassName,
        resources: config.prometheus.resources,
        externalLabels,
        extraScrapeJobs: scrapeJobs,
        ruleGroups: alerting.prometheusRuleGroups,
        alertmanagers: alerting.alertmanagers,
        // The collector (and, on a central cluster, the agents) remote-write, with exemplars that link to traces.
        enableRemoteWriteReceiver: true,
        enableExemplarStorage: true,
      });
      return { queryUrl: prometheus.url, scraper: 'prometheus', scrapeJobs, flows: [] };
    }

    const vm = config.metrics.victoriaMetrics;
    const storeChart = chart('victoriametrics', ns);
    const store: VictoriaMetricsStore =
      backend === 'victoriametrics'
        ? new VictoriaMetrics(storeChart, 'victoriametrics', {
            namespace: ns,
            retention: vm.retention,
            storageSize: vm.storage.size,
            storageClassName: vm.storage.storageClassName,
            resources: vm.resources,
          })
        : new VictoriaMetricsCluster(storeChart, 'victoriametrics', {
            namespace: ns,
            retention: vm.retention,
            storageSize: vm.storage.size,
            storageClassName: vm.storage.storageClassName,
            resources: vm.resources,
            replicationFactor: vm.replicationFactor,
            vmstorageReplicas: vm.vmstorage,
            vminsertReplicas: vm.vminsert,
            vmselectReplicas: vm.vmselect,
          });
    if (store.writeUrl !== links.metricsWriteUrl) {
      throw new Error(`metrics write URL mismatch: the store listens on ${store.writeUrl}, the senders were given ${links.metricsWriteUrl}`);
    }
    // alerting.engine "grafana" leaves vmalert the recording rules only, and no Alertmanager to notify.
    const alertmanagerUrl = alerting.alertmanagers.length > 0 ? `http://${alerting.alertmanagers[0]}` : undefined;
    const vmalert = new VmAlert(chart('vmalert', ns), 'vmalert', {
      namespace: ns,
      ruleGroups: alerting.prometheusRuleGroups,
      datasourceUrl: store.queryUrl,
      remoteWriteUrl: store.vmalertWriteUrl,
      alertmanagerUrl,
      evaluationInterval: config.prometheus.evaluationInterval,
      externalLabels,
    });
    const jobs = [...scrapeJobs, ...store.scrapeJobs, vmalert.scrapeJob];
    vmagent(store.writeUrl, jobs);
    const pods = (app: string): FlowSource => ({ pods: { namespace: ns, app } });
    const flows: Flow[] = [
      urlFlow(pods('vmagent'), store.writeUrl, 'vmagent remote-writes every scraped series'),
      urlFlow(pods('vmalert'), store.queryUrl, 'vmalert evaluates rules and restores alert state'),
      urlFlow(pods('vmalert'), store.vmalertWriteUrl, 'vmalert writes recording rules and alert state'),
    ];
    return { queryUrl: store.queryUrl, scraper: 'vmagent', scrapeJobs: jobs, flows };
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
    links: TelemetryLinks,
    lokiRuleGroups: RenderedRuleGroup[],
  ): {
    scrapeJobs: ScrapeJob[];
    ruleGroups: RuleGroupSpec[];
    dashboards: DashboardBuilder[];
    datasources: GrafanaDatasource[];
  } {
    const ns = config.namespaces;
    const logs = config.logs;
    // Central: Loki is multi-tenant and this cluster's own logs (and its recording rules) are its own tenant.
    const tenant = links.role === 'central' ? links.lokiTenant : undefined;
    const ruler = { recordingRules: lokiRuleGroups, rulerRemoteWriteUrl: links.metricsWriteUrl };
    // An agent cluster runs no Loki: its agent and event exporter push to the central one under the cluster's tenant.
    const loki = !links.runsBackends
      ? undefined
      : logs.backend === 'loki-ha'
        ? new LokiHa(chart('loki', ns.monitoring), 'loki', {
            namespace: ns.monitoring,
            replicas: logs.ha.replicas,
            objectStore: logs.ha.objectStore!,
            retention: logs.retention,
            ingestion: logs.ingestion,
            walStorageSize: logs.storage.size,
            storageClassName: logs.storage.storageClassName,
            resources: logs.ha.resources,
            tenant,
            ...ruler,
          })
        : new Loki(chart('loki', ns.monitoring), 'loki', {
            namespace: ns.monitoring,
            retention: logs.retention,
            ingestion: logs.ingestion,
            storageSize: logs.storage.size,
            storageClassName: logs.storage.storageClassName,
            resources: logs.resources,
            tenant,
            ...ruler,
          });
    if (loki && loki.pushUrl !== links.lokiPushUrl) {
      throw new Error(`Loki push URL mismatch: Loki listens on ${loki.pushUrl}, the senders were given ${links.lokiPushUrl}`);
    }
    const agent = new LogAgent(chart('log-agent', ns.nodeAgents), 'log-agent', {
      namespace: ns.nodeAgents,
      clusterScopedPrefix,
      priorityClassName,
      agent: logs.agent,
      pushUrl: links.lokiPushUrl,
      tenantId: links.lokiTenant,
      postgresApps: logs.postgresApps,
      resources: logs.agentResources,
    });
    const scrapeJobs = [...(loki ? [loki.scrapeJob] : []), agent.scrapeJob];
    const ruleGroups = [lokiRules(), logAgentRules()];
    if (logs.eventExporter.enabled) {
      const exporter = new EventExporter(chart('kube-event-exporter', ns.monitoring), 'kube-event-exporter', {
        namespace: ns.monitoring,
        clusterScopedPrefix,
        lokiPushUrl: links.lokiPushUrl,
        lokiTenant: links.lokiTenant,
        replicas: logs.eventExporter.replicas,
        resources: logs.eventExporter.resources,
      });
      scrapeJobs.push(exporter.scrapeJob);
      ruleGroups.push(eventExporterRules());
    }
    const datasources: GrafanaDatasource[] = [];
    if (loki) {
      // The Loki datasource carries the derived fields that turn a trace id into a Jaeger link.
      const datasource = lokiDatasource(loki.url);
      datasources.push(
        links.grafanaLokiTenants.length === 0
          ? datasource
          : {
              ...datasource,
              // A multi-tenant query (`own|agent-a|agent-b`) shows every cluster's logs in one datasource.
              jsonData: { ...datasource.jsonData, httpHeaderName1: 'X-Scope-OrgID' },
              secureJsonData: { httpHeaderValue1: links.grafanaLokiTenants.join('|') },
            },
      );
    }
    return { scrapeJobs, ruleGroups, dashboards: [logsDashboard()], datasources };
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
