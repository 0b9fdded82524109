import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { platformGroups } from './alerting/catalogue';
import { alertEvaluation, operatorAlertRouting } from './alerting/evaluation';
import { applyOverrides, RenderedRuleGroup, renderRuleGroup, ruleFileYaml, RuleGroupSpec } from './kit/rule-model';
import { defaultLatencyThresholdMs } from './catalog/services';
import { grafana } from './components/grafana/module';
import type { UserDatasourceSpec } from './components/grafana/user-content';
import { COMPONENT_MODULES } from './components/modules';
import { Namespaces } from './components/namespaces/namespaces';
import { prometheusBackend } from './components/prometheus/module';
import { prometheusOperatorBackend, sidecarGrafanaContent } from './components/prometheus-operator/module';
import { prometheusHealthPanels } from './components/prometheus/dashboard';
import { victoriaMetricsHealthPanels } from './components/victoriametrics/dashboard';
import { stackHealthDashboard } from './kit/stack-health';
import { prometheusRules } from './components/prometheus/rules';
import { victoriaMetricsRules, vmagentRules } from './components/victoriametrics/rules';
import { stackSelfMonitoringRules } from './alerting/self-monitoring';
import { agentMetrics, victoriaMetricsBackend } from './components/victoriametrics/module';
import type { StackConfig } from './config/schema';
import { platformDashboards } from './dashboards';
import { gitOps } from './gitops/module';
import { applySyncWaves } from './gitops/sync-waves';
import type { MetricsBackend } from './kit/metrics-backend';
import { BuildContext, Contribution, SyncWave } from './kit/module';
import { PART_OF } from './lib/labels';
import { addDisruptionBudgets } from './security/disruption-budgets';
import { networkPolicies } from './security/module';
import { telemetryLinks } from './topology/links';

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

/**
 * The metrics backend watching itself: Prometheus' group, or those of VictoriaMetrics, vmagent and vmalert. A
 * central cluster also watches its agent clusters' vmagents (each ships its own metrics with the rest), whatever
 * its own backend; VictoriaMetrics' groups have vmagent's already.
 */
function backendRules(config: StackConfig): RuleGroupSpec[] {
  const agents = config.topology.role === 'central' ? [vmagentRules()] : [];
  switch (config.metrics.backend) {
    case 'prometheus':
      return [prometheusRules(), ...agents];
    case 'prometheus-operator':
      // The operator's Prometheus is not this stack's: kube-prometheus-stack installs the rules that watch it.
      return agents;
    default:
      return victoriaMetricsRules(config.metrics.backend);
  }
}

/**
 * One environment of the platform: a fold over the component modules.
 * 1. The links (every URL, tenant and endpoint) are computed once from the config.
 * 2. Each module builds its charts and returns its contribution.
 * 3. The consumers fold the contributions: rule evaluation and routing, the
 *    metrics backend (every scrape job and rule group), Grafana (every dashboard
 *    and datasource), the NetworkPolicies (every flow) and Argo CD.
 * 4. Disruption budgets and sync waves are applied to every object, the waves
 *    as each module declared them for its charts.
 *
 * Each component goes into its own Chart, so `dist/<env>/` holds one
 * `<component>.k8s.yaml` per component and reviewers see changes per component.
 */
export class Stack extends Construct {
  /** Plain files written beside the manifests: `rules/<group>.yaml`, `dashboards/<uid>.json` and the like. */
  public readonly files = new Map<string, string>();
  public readonly ruleGroups: RenderedRuleGroup[];
  public readonly components: string[] = [];

  constructor(scope: App, id: string, config: StackConfig, options: StackOptions) {
    super(scope, id);
    const env = config.environment;
    const links = telemetryLinks(config);
    const waves = new Map<string, SyncWave>();
    const chart = (name: string, namespace: string | undefined, wave: SyncWave) => {
      this.components.push(name);
      waves.set(name, wave);
      return new Chart(scope, name, { namespace, labels: { 'app.kubernetes.io/part-of': PART_OF, environment: env } });
    };
    const monitoring = config.namespaces.monitoring;
    const namespaces = new Namespaces(chart('namespaces', undefined, SyncWave.FOUNDATION), 'namespaces', {
      monitoring,
      nodeAgents: config.namespaces.nodeAgents,
      environment: env,
      clusterScopedPrefix: monitoring,
      applicationNamespaces: config.postgres ? [config.postgres.namespace] : [],
    });
    const ctx: BuildContext = {
      environment: env,
      cluster: config.cluster,
      namespaces: config.namespaces,
      // Cluster-scoped objects carry the namespace in their name, so two environments can share a cluster.
      clusterScopedPrefix: monitoring,
      nodeAgentPriorityClass: namespaces.nodeAgentPriorityClass,
      links,
      runbookBaseUrl:
        config.alerting.runbookBaseUrl ?? `${config.repository.url.replace(/\/+$/, '')}/blob/${config.repository.revision}/docs/runbooks`,
      // The deprecated prometheus.* spellings, when written, win: synth has warned about them.
      scrapeInterval: config.prometheus.scrapeInterval ?? config.metrics.scrapeInterval,
      evaluationInterval: config.prometheus.evaluationInterval ?? config.metrics.evaluationInterval,
      slowTraceThresholdMs: defaultLatencyThresholdMs(config.slo),
      chart,
    };

    const contributions = COMPONENT_MODULES.map((module) => module.build(ctx, config));
    // Every module's entries of one kind, in module order.
    const all = <K extends Exclude<keyof Contribution, 'files'>>(key: K) =>
      contributions.flatMap((c): ReadonlyArray<NonNullable<Contribution[K]>[number]> => c[key] ?? []);
    for (const c of contributions) for (const [file, text] of c.files ?? []) this.files.set(file, text);

    // An agent cluster evaluates no rules and draws no dashboards: the central cluster does, over every cluster's series.
    const ruleSpecs: RuleGroupSpec[] = links.runsBackends
      ? [stackSelfMonitoringRules(), ...backendRules(config), ...all('ruleGroups'), ...extraAlertRuleGroups(config), ...platformGroups(config)]
      : [];
    // The config's per-alert settings (off, `for`, severity, thresholds) apply to every group, component ones included.
    this.ruleGroups = applyOverrides(ruleSpecs, config.alerting.rules).map((g) => renderRuleGroup(g, { runbookBaseUrl: ctx.runbookBaseUrl }));
    for (const group of this.ruleGroups) this.files.set(`rules/${group.name}.yaml`, ruleFileYaml([group]));

    const scrapeJobs = all('scrapeJobs');
    if (!links.runsBackends) {
      const metrics = agentMetrics(ctx, config, scrapeJobs);
      gitOps(ctx, config, { ...options, grafanaUrl: undefined });
      this.finish(scope, ctx, config, metrics, [], all('flows'), waves);
      return;
    }

    const operator = config.metrics.backend === 'prometheus-operator';
    const alerting = operator ? operatorAlertRouting(config, this.ruleGroups) : alertEvaluation(ctx, config, this.ruleGroups);
    for (const [file, text] of alerting.files) this.files.set(file, text);
    const backendInput = { scrapeJobs, ruleGroups: alerting.metricsBackendRuleGroups, alertmanagers: alerting.alertmanagers };
    const metrics =
      config.metrics.backend === 'prometheus'
        ? prometheusBackend(ctx, config, backendInput)
        : operator
          ? prometheusOperatorBackend(ctx, config, backendInput)
          : victoriaMetricsBackend(ctx, config, backendInput);
    const dashboards = [
      stackHealthDashboard(config.metrics.backend === 'victoriametrics' || config.metrics.backend === 'victoriametrics-cluster'
        ? victoriaMetricsHealthPanels(config.metrics.backend) : prometheusHealthPanels),
      ...all('dashboards'), ...platformDashboards({ services: config.services, slo: config.slo })];

    if (operator) {
      // The cluster's own Grafana shows the dashboards and datasources; no Grafana (nor its deploy annotation) here.
      const content = sidecarGrafanaContent(ctx, config, { dashboards, datasources: all('datasources') });
      for (const [file, text] of content.files) this.files.set(file, text);
      gitOps(ctx, config, { ...options, grafanaUrl: undefined });
      this.finish(scope, ctx, config, metrics, content.datasources, all('flows'), waves);
      return;
    }
    const ui = grafana(ctx, config, {
      metricsQueryUrl: metrics.queryUrl!,
      datasources: all('datasources'),
      dashboards,
      env: all('grafanaEnv'),
      alerting: alerting.grafana,
      configDir: options.configDir ?? process.cwd(),
      userDashboards: options.dashboards ?? [],
      userDatasources: options.datasources ?? [],
    });
    for (const [file, text] of ui.files) this.files.set(file, text);
    gitOps(ctx, config, { ...options, grafanaUrl: ui.url });
    this.finish(scope, ctx, config, metrics, ui.builtInDatasources, all('flows'), waves);
  }

  /** The NetworkPolicies, then the disruption budgets and sync waves of every object, once all exist. */
  private finish(
    scope: App,
    ctx: BuildContext,
    config: StackConfig,
    metrics: MetricsBackend,
    datasources: Parameters<typeof networkPolicies>[3],
    flows: Parameters<typeof networkPolicies>[4],
    waves: ReadonlyMap<string, SyncWave>,
  ): void {
    networkPolicies(ctx, config, metrics, datasources, flows);
    addDisruptionBudgets(scope);
    applySyncWaves(scope, waves);
  }
}
