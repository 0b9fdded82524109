import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { BUILD_INFO, HTTP_VOCABULARY, servicesMatchers, WEBHOOK_EVENTS } from '../catalog/services';
import type { ServiceConfig } from '../catalog/config';
import { GridLayout, logsPanel, lokiTimeseriesPanel, newDashboard, queryVariable, timeseriesPanel } from '../kit/presets';

const PROM = HTTP_VOCABULARY['prometheus-client'];
const OTEL = HTTP_VOCABULARY['opentelemetry-ms'];
// Both vocabularies are queried side by side (targets A and B); a service only
// ever answers one of them. `app` is the pod label every instrumented service has.
const SEL = 'namespace=~"$namespace", app=~"$service", route=~"$route"';

/**
 * RED per service and route: request rate, 5xx errors and latency, driven by
 * namespace, service and route variables; which build each pod runs (the
 * startup log line, and build_info where exported); then the webhooks of the
 * services that count them (`webhookEvents`), by event type.
 */
export function serviceOverviewDashboard(
  opts: { webhooks?: readonly ServiceConfig[]; buildInfo?: readonly ServiceConfig[] } = {},
): DashboardBuilder {
  const grid = new GridLayout();
  const errorRatio = (v: typeof PROM) =>
    `sum by (app, route) (rate(${v.requests}{${SEL}, ${v.statusLabel}=~"5.."}[$__rate_interval])) / ` +
    `sum by (app, route) (rate(${v.requests}{${SEL}}[$__rate_interval]))`;
  const quantile = (q: number, v: typeof PROM) =>
    `histogram_quantile(${q}, sum by (le, app, route) (rate(${v.duration}_bucket{${SEL}}[$__rate_interval])))` +
    (v.toMs !== 1 ? ` * ${v.toMs}` : '');
  const board = newDashboard({
    uid: 'service-overview',
    title: 'Service overview (RED)',
    tags: ['services', 'red'],
    description: 'Rate, errors and duration of every catalogue service, per route; both HTTP metric vocabularies.',
  })
    .withVariable(queryVariable({ name: 'namespace', label: 'Namespace', query: 'label_values(up{job="kubernetes-pods"}, namespace)' }))
    .withVariable(
      queryVariable({ name: 'service', label: 'Service', query: 'label_values(up{job="kubernetes-pods", namespace=~"$namespace"}, app)' }),
    )
    .withVariable(queryVariable({ name: 'route', label: 'Route', query: `label_values(${PROM.requests}{namespace=~"$namespace", app=~"$service"}, route)` }))
    .withPanel(
      timeseriesPanel({
        title: 'Requests per second by service',
        unit: 'reqps',
        targets: [
          { expr: `sum by (app) (rate(${PROM.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}}' },
          { expr: `sum by (app) (rate(${OTEL.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: '5xx ratio by service and route',
        unit: 'percentunit',
        targets: [
          { expr: errorRatio(PROM), legend: '{{app}} {{route}}' },
          { expr: errorRatio(OTEL), legend: '{{app}} {{route}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'p99 latency by service and route',
        unit: 'ms',
        targets: [
          { expr: quantile(0.99, PROM), legend: '{{app}} {{route}}' },
          { expr: quantile(0.99, OTEL), legend: '{{app}} {{route}}' },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Requests per second by route and status',
        unit: 'reqps',
        targets: [
          { expr: `sum by (app, route, code) (rate(${PROM.requests}{${SEL}}[$__rate_interval]))`, legend: '{{app}} {{route}} {{code}}' },
          {
            expr: `sum by (app, route, status_code) (rate(${OTEL.requests}{${SEL}}[$__rate_interval]))`,
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
            expr: `histogram_quantile(0.5, sum by (le, app) (rate(${PROM.duration}_bucket{${SEL}}[$__rate_interval]))) * ${PROM.toMs}`,
            legend: '{{app}} p50',
          },
          {
            expr: `histogram_quantile(0.95, sum by (le, app) (rate(${PROM.duration}_bucket{${SEL}}[$__rate_interval]))) * ${PROM.toMs}`,
            legend: '{{app}} p95',
          },
          { expr: `histogram_quantile(0.5, sum by (le, app) (rate(${OTEL.duration}_bucket{${SEL}}[$__rate_interval])))`, legend: '{{app}} p50' },
          { expr: `histogram_quantile(0.95, sum by (le, app) (rate(${OTEL.duration}_bucket{${SEL}}[$__rate_interval])))`, legend: '{{app}} p95' },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
  // "Is my fix deployed?": services that log their build SHA at startup (`gitSHA` in the JSON line), so
  // each pod's start is one line per SHA; read against the deploy annotations every dashboard shows.
  const startups = '{namespace=~"$namespace", app=~"$service"} |= "gitSHA" | json | gitSHA != ""';
  grid.newRow();
  board
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Is my fix deployed? Pods starting per build SHA',
        description:
          'Pods of the selected services that logged their build SHA at startup, by SHA: a new SHA appears after its deploy annotation, and the old one stops once every pod has restarted.',
        targets: [{ expr: `sum by (app, gitSHA) (count_over_time(${startups} [$__auto]))`, legend: '{{app}} {{gitSHA}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      logsPanel({
        title: 'Startup lines with the build SHA',
        description: 'The newest first: which pod started on which SHA, and when.',
        targets: [{ expr: startups }],
        maxLines: 100,
        gridPos: grid.place(12, 8),
      }),
    );
  if ((opts.buildInfo ?? []).length > 0) {
    board.withPanel(
      timeseriesPanel({
        title: 'Pods per build revision (build_info)',
        description: `The revision label of ${BUILD_INFO}, for the services that export it; the SHA to compare with your fix's commit.`,
        targets: [
          {
            expr: `count by (app, version, revision) (${BUILD_INFO}{${servicesMatchers(opts.buildInfo!)}, namespace=~"$namespace", app=~"$service"})`,
            legend: '{{app}} {{version}} {{revision}}',
          },
        ],
        gridPos: grid.place(24, 8),
      }),
    );
  }
  const webhooks = opts.webhooks ?? [];
  if (webhooks.length === 0) return board;
  // From the services' own counter, not from logs: the 5xx middleware's lines carry code, message, status and
  // request ID, but not the webhook's event type.
  const sel = servicesMatchers(webhooks);
  grid.newRow();
  return board
    .withPanel(
      timeseriesPanel({
        title: 'Webhooks received per second by event type',
        description: `${WEBHOOK_EVENTS} of ${webhooks.map((s) => s.name).join(', ')}.`,
        unit: 'reqps',
        targets: [{ expr: `sum by (provider, event_type) (rate(${WEBHOOK_EVENTS}{${sel}}[$__rate_interval]))`, legend: '{{provider}} {{event_type}}' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Webhooks failed (5xx) by event type',
        description: 'Any value above 0 is a webhook the provider must retry, or lost (WebhookServerErrors).',
        unit: 'short',
        targets: [
          {
            expr: `sum by (provider, event_type, status) (increase(${WEBHOOK_EVENTS}{${sel}, status=~"5.."}[$__rate_interval]))`,
            legend: '{{provider}} {{event_type}} {{status}}',
          },
        ],
        redFrom: 1,
        gridPos: grid.place(12, 8),
      }),
    );
}