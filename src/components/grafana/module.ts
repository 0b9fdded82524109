import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { k8s } from 'cdk8s-plus-28';
import type { GrafanaConfig } from './config';
import { renderDashboard } from '../../kit/dashboard';
import { DATASOURCE } from '../../kit/datasources';
import { GrafanaDashboard } from '../../kit/grafana-dashboard';
import type { GrafanaDatasource } from '../../kit/grafana-datasource';
import { BuildContext, SyncWave } from '../../kit/module';
import { standardLabels } from '../../lib/labels';
import { prometheusCorrelation } from './correlation';
import { Grafana } from './grafana';
import { userDashboards, userDatasources, UserDatasourceSpec } from './user-content';

/** Everything Grafana shows: what the modules contributed, and the user's own content. */
export interface GrafanaInput {
  /** The metrics backend's Prometheus-compatible query URL: the default datasource. */
  readonly metricsQueryUrl: string;
  /** The modules' datasources, after the Prometheus one. */
  readonly datasources: readonly GrafanaDatasource[];
  /** The modules' and the platform's dashboards. */
  readonly dashboards: readonly DashboardBuilder[];
  /** Environment the modules' datasources need (Secret references only). */
  readonly env: readonly k8s.EnvVar[];
  /** Grafana-managed alerting (alerting.engine "grafana"). */
  readonly alerting?: { files: Record<string, string>; secretName: string; secretDir: string; env?: readonly k8s.EnvVar[] };
  /** Directory the config's relative dashboard paths start from. */
  readonly configDir: string;
  /** The user's dashboards and datasources built in code (StackOptions). */
  readonly userDashboards: readonly DashboardBuilder[];
  readonly userDatasources: readonly UserDatasourceSpec[];
}

/**
 * Grafana with every datasource and dashboard of the environment. Returns its
 * URL, the stack's own datasources (only those get NetworkPolicy flows: a
 * policy for a user's datasource would isolate the pods of a namespace the
 * stack does not own) and the dashboard files for dist/<env>/dashboards/.
 */
export function grafana(
  ctx: BuildContext,
  config: { readonly grafana: GrafanaConfig },
  input: GrafanaInput,
): { url: string; builtInDatasources: GrafanaDatasource[]; files: Map<string, string> } {
  const ns = ctx.namespaces.monitoring;
  const g = config.grafana;
  const admin = g.adminCredentials;
  if (!admin) throw new Error('grafana.adminCredentials is required wherever Grafana is deployed (checked in src/config/checks.ts)');
  const chart = ctx.chart('grafana', ns, SyncWave.GRAFANA);
  const builtInDatasources: GrafanaDatasource[] = [
    {
      name: 'Prometheus',
      type: DATASOURCE.prometheus.type,
      uid: DATASOURCE.prometheus.uid,
      // VictoriaMetrics answers the Prometheus query API, so the datasource (and every dashboard's uid) stays the same.
      url: input.metricsQueryUrl,
      access: 'proxy',
      isDefault: true,
      editable: false,
      jsonData: { timeInterval: ctx.scrapeInterval, httpMethod: 'POST', ...prometheusCorrelation() },
    },
    ...input.datasources,
  ];
  const fromConfig = g.datasources.length;
  const user = userDatasources([...g.datasources, ...input.userDatasources], builtInDatasources, (i) =>
    i < fromConfig ? `grafana.datasources[${i}]` : `StackOptions.datasources[${i - fromConfig}]`,
  );
  const datasources = [...builtInDatasources, ...user.datasources];

  const builtInDashboards = input.dashboards.map((builder) => renderDashboard(builder));
  const dashboards = [
    ...builtInDashboards,
    ...userDashboards({
      files: g.dashboards,
      baseDir: input.configDir,
      builders: input.userDashboards,
      datasourceUids: datasources.map((d) => d.uid),
      builtInUids: builtInDashboards.map((d) => d.uid),
    }),
  ].map(
    (dashboard) =>
      new GrafanaDashboard(chart, `dashboard-${dashboard.uid}`, {
        namespace: ns,
        dashboard,
        labels: standardLabels({ name: 'grafana', component: 'dashboards' }),
      }),
  );

  const instance = new Grafana(chart, 'grafana', {
    namespace: ns,
    adminSecret: { name: admin.secretName, userKey: admin.userKey, passwordKey: admin.passwordKey },
    anonymousViewer: g.anonymousViewer,
    ingress: g.ingress,
    storageSize: g.storage.size,
    storageClassName: g.storage.storageClassName,
    resources: g.resources,
    extraEnv: [...input.env, ...user.env],
    alerting: input.alerting,
    datasources,
    dashboardConfigMaps: dashboards.map((d) => d.configMapName),
  });
  return {
    url: instance.url,
    builtInDatasources,
    files: new Map(dashboards.map((d) => [`dashboards/${d.dashboard.uid}.json`, d.jsonText])),
  };
}
