import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, queryVariable, timeseriesPanel } from '../kit/presets';

const SEL = 'namespace=~"$namespace", app=~"$service", target=~"$target"';

/**
 * Outbound gRPC calls (the grpcmetrics interceptor of services instrumented with
 * the Prometheus client): rate, non-OK codes and latency by target, method and
 * code. A hung handshake shows as latency pinned at the 30 s deadline with
 * DeadlineExceeded codes.
 */
export function grpcClientsDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  return newDashboard({
    uid: 'grpc-clients',
    title: 'gRPC clients',
    tags: ['services', 'grpc'],
    description: 'grpc_client_requests_total and grpc_client_request_duration_seconds by target, method and code; outbound latency of services instrumented with OpenTelemetry in milliseconds.',
  })
    .withVariable(queryVariable({ name: 'namespace', label: 'Namespace', query: 'label_values(grpc_client_requests_total, namespace)' }))
    .withVariable(
      queryVariable({ name: 'service', label: 'Client', query: 'label_values(grpc_client_requests_total{namespace=~"$namespace"}, app)' }),
    )
    .withVariable(
      queryVariable({
        name: 'target',
        label: 'Target',
        query: 'label_values(grpc_client_requests_total{namespace=~"$namespace", app=~"$service"}, target)',
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Calls per second by target and code',
        unit: 'reqps',
        targets: [
          { expr: `sum by (app, target, code) (rate(grpc_client_requests_total{${SEL}}[$__rate_interval]))`, legend: '{{app}} → {{target}} {{code}}' },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Non-OK ratio by target and method',
        unit: 'percentunit',
        targets: [
          {
            expr:
              `sum by (app, target, method) (rate(grpc_client_requests_total{${SEL}, code!="OK"}[$__rate_interval])) / ` +
              `sum by (app, target, method) (rate(grpc_client_requests_total{${SEL}}[$__rate_interval]))`,
            legend: '{{app}} → {{target}} {{method}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'p99 latency by target and method',
        unit: 's',
        // With 30 s call deadlines, a line at 30 s is a hung call.
        redFrom: 30,
        targets: [
          {
            expr: `histogram_quantile(0.99, sum by (le, app, target, method) (rate(grpc_client_request_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
            legend: '{{app}} → {{target}} {{method}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Platform-Kernel outbound p99 by target service',
        unit: 'ms',
        targets: [
          {
            expr:
              'histogram_quantile(0.99, sum by (le, service, target_service) ' +
              '(rate(grpc_client_request_duration_ms_bucket{namespace=~"$namespace"}[$__rate_interval])))',
            legend: '{{service}} → {{target_service}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
}
