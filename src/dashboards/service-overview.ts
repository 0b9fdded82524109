import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { HTTP_VOCABULARY } from '../catalog/services';
import { GridLayout, newDashboard, queryVariable, timeseriesPanel } from './presets';

const S1 = HTTP_VOCABULARY.seed1;
const S2 = HTTP_VOCABULARY.seed2;
// Both vocabularies are queried side by side (targets A and B); a service only
// ever answers one of them. `app` is the pod label every instrumented service has.
const SEL = 'namespace=~"$namespace", app=~"$service", route=~"$route"';

/** RED per service and route: request rate, 5xx errors and latency, driven by namespace, service and route variables. */
export function serviceOverviewDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  const errorRatio = (v: typeof S1) =>
    `sum by (app, route) (rate(${v.requests}{${SEL}, ${v.statusLabel}=~"5.."}[$__rate_interval])) / ` +
    `sum by (app, route) (rate(${v.requests}{${SEL}}[$__rate_interval]))`;
  const quantile = (q: number, v: typeof S1) =>
    `histogram_quantile(${q}, sum by (le, app, route) (rate(${v.duration}_bucket{${SEL}}[$__rate_interval])))` +
    (v.toMs !== 1 ? ` * ${v.toMs}` : '');
  return newDashboard({
    uid: 'service-overview',
    title: 'Service overview (RED)',
    tags: ['services', 'red'],
    description: 'Rate, errors and duration of every catalogue service, per route; both HTTP metric vocabularies.',
  })
    .withVariable(queryVariable({ name: 'namespace', label: 'Namespace', query: 'label_values(up{job="kubernetes-pods"}, namespace)' }))
    .withVariable(
      queryVariable({ name: 'service', label: 'Service', query: 'label_values(up{job="kubernetes-pods", namespace=~"$namespace"}, app)' }),
    )
    .withVariable(queryVariable({ name: 'route', label: 'Route', query: `label_values(${S1.requests}{namespace=~"$namespace", app=~"$service"}, route)` }))
    .withPanel(
      timeseriesPanel({
        title: 'Requests per second by service',
        unit: 'reqps',
        targets: [
          { expr: `sum by (app) (rate(${S1.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}}' },
          { expr: `sum by (app) (rate(${S2.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: '5xx ratio by service and route',
        unit: 'percentunit',
        targets: [
          { expr: errorRatio(S1), legend: '{{app}} {{route}}' },
          { expr: errorRatio(S2), legend: '{{app}} {{route}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'p99 latency by service and route',
        unit: 'ms',
        targets: [
          { expr: quantile(0.99, S1), legend: '{{app}} {{route}}' },
          { expr: quantile(0.99, S2), legend: '{{app}} {{route}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Requests per second by route and status',
        unit: 'reqps',
        targets: [
          { expr: `sum by (app, route, code) (rate(${S1.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}} {{route}} {{code}}' },
          {
            expr: `sum by (app, route, status_code) (rate(${S2.requests}{${SEL}}[$__rate_interval]))`,
            legend: '{{app}} {{route}} {{status_code}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'p50 / p95 latency by service',
        unit: 'ms',
        targets: [
          {
            expr: `histogram_quantile(0.5, sum by (le, app) (rate(${S1.duration}_bucket{${SEL}}[$__rate_interval]))) * ${S1.toMs}`,
            legend: '{{app}} p50',
          },
          {
            expr: `histogram_quantile(0.95, sum by (le, app) (rate(${S1.duration}_bucket{${SEL}}[$__rate_interval]))) * ${S1.toMs}`,
            legend: '{{app}} p95',
          },
          { expr: `histogram_quantile(0.5, sum by (le, app) (rate(${S2.duration}_bucket{${SEL}}[$__rate_interval])))`, legend: '{{app}} p50' },
          { expr: `histogram_quantile(0.95, sum by (le, app) (rate(${S2.duration}_bucket{${SEL}}[$__rate_interval])))`, legend: '{{app}} p95' },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
}
