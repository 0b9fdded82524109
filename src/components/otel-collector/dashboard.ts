import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, PromTarget, statPanel, timeseriesPanel } from '../../kit/presets';

/** The collector's own jobs; Jaeger exposes the same otelcol_* metrics under job "jaeger". */
const COLLECTOR = 'job=~"otel-collector|otel-collector-agent"';
const SIGNALS = [
  { signal: 'spans', metric: 'spans' },
  { signal: 'metric points', metric: 'metric_points' },
  { signal: 'log records', metric: 'log_records' },
] as const;

const perSignal = (counter: (metric: string) => string, by = ''): PromTarget[] =>
  SIGNALS.map(({ signal, metric }) => ({
    expr: `sum${by ? ` by (${by})` : ''} (rate(${counter(metric)}{${COLLECTOR}}[$__rate_interval]))`,
    legend: by ? `${signal} {{${by}}}` : signal,
  }));

/**
 * Telemetry pipeline health: what the collector accepts, refuses and drops per
 * signal, how full its exporter queues are and how often they fail, and what
 * the backends (Jaeger, Loki) actually ingest.
 */
export function otelCollectorDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  const builder = newDashboard({
    uid: 'telemetry-pipeline',
    title: 'Telemetry pipeline',
    tags: ['opentelemetry', 'jaeger', 'loki'],
    description: 'Whether telemetry gets from the services through the OpenTelemetry Collector into Prometheus, Loki and Jaeger.',
  });
  for (const { signal, metric } of SIGNALS) {
    builder.withPanel(
      statPanel({
        title: `${signal[0].toUpperCase()}${signal.slice(1)} accepted/s`,
        unit: 'ops',
        targets: [{ expr: `sum(rate(otelcol_receiver_accepted_${metric}_total{${COLLECTOR}}[5m])) or vector(0)`, instant: true }],
        gridPos: grid.place(6, 4),
      }),
    );
  }
  builder
    .withPanel(
      statPanel({
        title: 'Fullest exporter queue',
        unit: 'percentunit',
        description: 'Above 80% for 10 minutes raises OtelCollectorExporterQueueNearCapacity.',
        targets: [
          { expr: `max(otelcol_exporter_queue_size{${COLLECTOR}} / (otelcol_exporter_queue_capacity{${COLLECTOR}} > 0)) or vector(0)`, instant: true },
        ],
        redFrom: 0.8,
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Accepted by the receivers',
        unit: 'ops',
        targets: perSignal((m) => `otelcol_receiver_accepted_${m}_total`),
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Refused by the receivers',
        description: 'Mostly memory_limiter pushing back; senders retry or drop.',
        unit: 'ops',
        targets: perSignal((m) => `otelcol_receiver_refused_${m}_total`, 'receiver'),
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Dropped in processors (in − out)',
        description: 'Items a processor took in but did not pass on; batch holds a few for up to 10 s, anything else is a drop.',
        unit: 'ops',
        targets: [
          {
            expr:
              `sum by (processor, otel_signal) (rate(otelcol_processor_incoming_items_total{${COLLECTOR}}[$__rate_interval]))` +
              ` - sum by (processor, otel_signal) (rate(otelcol_processor_outgoing_items_total{${COLLECTOR}}[$__rate_interval]))`,
            legend: '{{processor}} {{otel_signal}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Sent by the exporters',
        unit: 'ops',
        targets: perSignal((m) => `otelcol_exporter_sent_${m}_total`, 'exporter'),
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Exporter queue size and capacity',
        description: 'The persistent sending queues: they grow while a backend is down and drain when it returns.',
        targets: [
          { expr: `max by (exporter) (otelcol_exporter_queue_size{${COLLECTOR}})`, legend: '{{exporter}} size' },
          { expr: `max by (exporter) (otelcol_exporter_queue_capacity{${COLLECTOR}})`, legend: '{{exporter}} capacity' },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Exporter failures',
        description: 'send_failed: given up after retries; enqueue_failed: dropped because the queue was full.',
        unit: 'ops',
        targets: [
          ...perSignal((m) => `otelcol_exporter_send_failed_${m}_total`, 'exporter'),
          ...perSignal((m) => `otelcol_exporter_enqueue_failed_${m}_total`, 'exporter').map((t) => ({
            ...t,
            legend: `${t.legend} (queue full)`,
          })),
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Jaeger ingestion',
        unit: 'ops',
        targets: [
          { expr: 'sum(rate(otelcol_receiver_accepted_spans_total{job="jaeger"}[$__rate_interval]))', legend: 'spans received' },
          { expr: 'sum(rate(otelcol_exporter_sent_spans_total{job="jaeger"}[$__rate_interval]))', legend: 'spans stored' },
          { expr: 'sum(rate(otelcol_exporter_send_failed_spans_total{job="jaeger"}[$__rate_interval]))', legend: 'spans failed to store' },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Loki ingestion',
        unit: 'ops',
        targets: [
          { expr: 'sum(rate(loki_distributor_lines_received_total[$__rate_interval]))', legend: 'lines received' },
          { expr: 'sum(rate(loki_discarded_samples_total[$__rate_interval]))', legend: 'lines discarded' },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
  return builder;
}
