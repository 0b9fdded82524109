import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from '../../kit/datasources';
import { GridLayout, logsPanel, lokiTimeseriesPanel, newDashboard } from '../../kit/presets';
import { EVENTS_JOB } from '../event-exporter/event-exporter';
import { POD_LOGS_JOB } from '../log-agent/pipeline';

const PODS = `job="${POD_LOGS_JOB}", namespace=~"$namespace", app=~"$app"`;
/** Event fields are in the JSON line (the exporter's stream labels are static), so filter after `| json`. */
const EVENTS = `{job="${EVENTS_JOB}"} | json | namespace=~"$namespace"`;

/**
 * Logs: error rate and volume by namespace and app, the latest error lines,
 * and Kubernetes Warning events by reason, kind and namespace.
 */
export function lokiDashboard(): dashboard.DashboardBuilder {
  const grid = new GridLayout();
  return newDashboard({
    uid: 'logs',
    title: 'Logs',
    tags: ['logs', 'loki'],
    description: 'Error rate and volume of container logs, the latest error lines, and Kubernetes Warning events.',
  })
    .withVariable(
      new dashboard.QueryVariableBuilder('namespace')
        .label('Namespace')
        .datasource(DATASOURCE.loki)
        .query({ type: 1, label: 'namespace', stream: `{job="${POD_LOGS_JOB}"}`, refId: 'LokiVariableQueryEditor-VariableQuery' })
        .definition(`label_values({job="${POD_LOGS_JOB}"}, namespace)`)
        .multi(true)
        .includeAll(true)
        .allValue('.+')
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder('app')
        .label('App')
        .datasource(DATASOURCE.loki)
        .query({ type: 1, label: 'app', stream: `{job="${POD_LOGS_JOB}", namespace=~"$namespace"}`, refId: 'LokiVariableQueryEditor-VariableQuery' })
        .definition(`label_values({job="${POD_LOGS_JOB}", namespace=~"$namespace"}, app)`)
        .multi(true)
        .includeAll(true)
        .allValue('.*')
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .sort(dashboard.VariableSort.AlphabeticalAsc),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Error lines per second by namespace/app',
        description: 'Lines whose level label is error (the agent maps slog, logstash and PostgreSQL levels to it).',
        unit: 'short',
        targets: [{ expr: `sum by (namespace, app) (rate({${PODS}, level="error"}[$__auto]))`, legend: '{{namespace}}/{{app}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Error ratio by namespace/app',
        description: 'Share of lines at level error; a jump means something new is failing, not just more traffic.',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (namespace, app) (rate({${PODS}, level="error"}[$__auto])) / sum by (namespace, app) (rate({${PODS}}[$__auto]))`,
            legend: '{{namespace}}/{{app}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Log volume by namespace',
        description: 'Bytes per second ingested; the ingestion limits in logs.ingestion apply to this.',
        unit: 'Bps',
        targets: [{ expr: `sum by (namespace) (bytes_rate({${PODS}}[$__auto]))`, legend: '{{namespace}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Lines per second by level',
        targets: [{ expr: `sum by (level) (rate({${PODS}}[$__auto]))`, legend: '{{level}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      logsPanel({
        title: 'Recent error lines',
        description: 'Open a line to see its trace_id (structured metadata).',
        targets: [{ expr: `{${PODS}, level="error"}` }],
        gridPos: grid.place(24, 10),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Warning events by reason',
        targets: [{ expr: `sum by (reason) (count_over_time(${EVENTS} [$__auto]))`, legend: '{{reason}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Warning events by kind',
        targets: [{ expr: `sum by (kind) (count_over_time(${EVENTS} [$__auto]))`, legend: '{{kind}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Warning events by namespace',
        targets: [{ expr: `sum by (namespace) (count_over_time(${EVENTS} [$__auto]))`, legend: '{{namespace}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      logsPanel({
        title: 'Recent Warning events',
        targets: [{ expr: `${EVENTS} | line_format "{{.namespace}} {{.kind}}/{{.name}} {{.reason}}: {{.message}}"` }],
        gridPos: grid.place(24, 10),
      }),
    );
}
