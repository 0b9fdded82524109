import { k8s } from 'cdk8s-plus-28';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PodMonitor, PrometheusRule } from '../../../imports/monitoring.coreos.com';
import { renderDashboard } from '../../kit/dashboard';
import { GrafanaDashboard } from '../../kit/grafana-dashboard';
import type { GrafanaDatasource } from '../../kit/grafana-datasource';
import type { MetricsBackend, MetricsBackendInput } from '../../kit/metrics-backend';
import { BuildContext, SyncWave } from '../../kit/module';
import { standardLabels } from '../../lib/labels';
import { annotatedPodsJob } from '../prometheus/scrape-config';
import { toYaml } from '../../lib/yaml';
import type { MetricsConfig } from '../victoriametrics/config';
import { podMonitorSpec, prometheusRuleSpec } from './monitors';

type Sections = { readonly metrics: MetricsConfig };

/** `app.kubernetes.io/name` of kube-prometheus-stack's Prometheus and Grafana pods. */
export const OPERATOR_PROMETHEUS_APP = 'prometheus';
export const OPERATOR_GRAFANA_APP = 'grafana';

/**
 * metrics.backend "prometheus-operator": the cluster's Prometheus Operator stack (kube-prometheus-stack) scrapes
 * and evaluates, and this stack deploys no Prometheus. Every rule group becomes a PrometheusRule and every
 * component's scrape job, the annotated-pods job among them, a PodMonitor, all carrying the labels the operator's
 * Prometheus selects (metrics.prometheusOperator.selectorLabels).
 *
 * The kubelet's /metrics and /metrics/cadvisor are not scraped again: kube-prometheus-stack's kubelet
 * ServiceMonitor already does, and a second scrape would double every container series that the dashboards sum.
 */
export function prometheusOperatorBackend(ctx: BuildContext, config: Sections, input: MetricsBackendInput): MetricsBackend {
  const ns = ctx.namespaces.monitoring;
  const op = config.metrics.prometheusOperator;
  const chart = ctx.chart('prometheus-operator', ns, SyncWave.COLLECTORS);
  const labels = (component: string) => ({ ...standardLabels({ name: 'prometheus-operator', component }), ...op.selectorLabels });
  for (const group of input.ruleGroups) {
    new PrometheusRule(chart, `rule-${group.name}`, {
      metadata: { name: group.name, namespace: ns, labels: labels('rules') },
      spec: prometheusRuleSpec(group),
    });
  }
  const jobs = [annotatedPodsJob(), ...input.scrapeJobs];
  for (const job of jobs) {
    new PodMonitor(chart, `pod-monitor-${job.job_name}`, {
      metadata: { name: job.job_name, namespace: ns, labels: labels('scraping') },
      spec: podMonitorSpec(job, ctx.scrapeInterval),
    });
  }
  return { queryUrl: op.prometheusUrl, scraper: OPERATOR_PROMETHEUS_APP, scrapeJobs: jobs, flows: [] };
}

/**
 * What kube-prometheus-stack's Grafana shows of this stack, through its sidecars: each dashboard in a ConfigMap
 * with the dashboard label (the sidecar reads every namespace), and the stack's datasources (Loki, Jaeger) in
 * one ConfigMap with the datasource label in Grafana's own namespace, the only one its datasource sidecar reads.
 * Its Prometheus datasource already has the uid the dashboards query ("prometheus"). A datasource that needs a
 * password (secureJsonData) is left out: that Grafana cannot read this stack's Secrets.
 */
export function sidecarGrafanaContent(
  ctx: BuildContext,
  config: Sections,
  input: { readonly dashboards: readonly DashboardBuilder[]; readonly datasources: readonly GrafanaDatasource[] },
): { files: Map<string, string>; datasources: GrafanaDatasource[] } {
  const op = config.metrics.prometheusOperator;
  const ns = ctx.namespaces.monitoring;
  const dashboardChart = ctx.chart('grafana-dashboards', ns, SyncWave.GRAFANA);
  const files = new Map<string, string>();
  for (const builder of input.dashboards) {
    const dashboard = renderDashboard(builder);
    const d = new GrafanaDashboard(dashboardChart, `dashboard-${dashboard.uid}`, {
      namespace: ns,
      dashboard,
      labels: { ...standardLabels({ name: 'grafana', component: 'dashboards' }), [op.dashboardLabel.key]: op.dashboardLabel.value },
    });
    files.set(`dashboards/${d.dashboard.uid}.json`, d.jsonText);
  }
  const datasources = input.datasources.filter((d) => d.secureJsonData === undefined).map((d) => ({ ...d, isDefault: false }));
  if (datasources.length > 0) {
    const chart = ctx.chart('grafana-datasources', op.grafanaNamespace, SyncWave.GRAFANA);
    new k8s.KubeConfigMap(chart, 'datasources', {
      metadata: {
        name: `${ctx.namespaces.monitoring}-datasources`,
        namespace: op.grafanaNamespace,
        labels: { ...standardLabels({ name: 'grafana', component: 'datasources' }), [op.datasourceLabel.key]: op.datasourceLabel.value },
      },
      data: { [`${ctx.namespaces.monitoring}-datasources.yaml`]: toYaml({ apiVersion: 1, datasources }) },
    });
  }
  return { files, datasources };
}
