import { AlertTests } from '../../kit/alert-tests';

const gw = 'job="otel-collector", namespace="monitoring", pod="otel-collector-a"';
const gwB = 'job="otel-collector", namespace="monitoring", pod="otel-collector-b"';

export const telemetryPipelineAlertTests: AlertTests = {
  group: 'telemetry-pipeline',
  cases: [
    {
      name: 'OtelCollectorRefusingData fires after 5 minutes of refusals, only for the refusing receiver',
      series: [
        { series: `otelcol_receiver_refused_spans_total{${gw}, receiver="otlp"}`, values: '0+10x30' },
        { series: `otelcol_receiver_refused_log_records_total{${gwB}, receiver="otlp"}`, values: '0x30' },
      ],
      checks: [
        { at: '4m', alert: 'OtelCollectorRefusingData', firing: [] },
        {
          at: '10m',
          alert: 'OtelCollectorRefusingData',
          firing: [{ severity: 'warning', namespace: 'monitoring', pod: 'otel-collector-a', receiver: 'otlp' }],
        },
      ],
    },
    {
      name: 'OtelCollectorRefusingData ignores Jaeger, which exposes the same otelcol_* metrics',
      series: [{ series: 'otelcol_receiver_refused_spans_total{job="jaeger", namespace="monitoring", pod="jaeger-0", receiver="otlp"}', values: '0+10x30' }],
      checks: [{ at: '20m', alert: 'OtelCollectorRefusingData', firing: [] }],
    },
    {
      name: 'OtelCollectorDroppingData fires 2 minutes after items start failing to enqueue',
      series: [
        { series: `otelcol_exporter_enqueue_failed_log_records_total{${gw}, exporter="otlp_http/loki"}`, values: '0x10 5+5x20' },
        { series: `otelcol_exporter_enqueue_failed_spans_total{${gw}, exporter="otlp_grpc/jaeger"}`, values: '0x30' },
      ],
      checks: [
        { at: '8m', alert: 'OtelCollectorDroppingData', firing: [] },
        { at: '12m', alert: 'OtelCollectorDroppingData', firing: [] },
        {
          at: '20m',
          alert: 'OtelCollectorDroppingData',
          firing: [{ severity: 'critical', namespace: 'monitoring', pod: 'otel-collector-a', exporter: 'otlp_http/loki' }],
        },
      ],
    },
    {
      name: 'OtelCollectorExporterQueueNearCapacity fires above 80% for 10 minutes, silent at 50%',
      series: [
        { series: `otelcol_exporter_queue_size{${gw}, exporter="otlp_grpc/jaeger", data_type="traces"}`, values: '900x30' },
        { series: `otelcol_exporter_queue_capacity{${gw}, exporter="otlp_grpc/jaeger", data_type="traces"}`, values: '1000x30' },
        { series: `otelcol_exporter_queue_size{${gw}, exporter="otlp_http/loki", data_type="logs"}`, values: '500x30' },
        { series: `otelcol_exporter_queue_capacity{${gw}, exporter="otlp_http/loki", data_type="logs"}`, values: '1000x30' },
      ],
      checks: [
        { at: '5m', alert: 'OtelCollectorExporterQueueNearCapacity', firing: [] },
        {
          at: '15m',
          alert: 'OtelCollectorExporterQueueNearCapacity',
          firing: [{ severity: 'warning', namespace: 'monitoring', pod: 'otel-collector-a', exporter: 'otlp_grpc/jaeger' }],
        },
      ],
    },
    {
      name: 'OtelCollectorExporterSendFailing fires after 10 minutes of failures, only for the failing exporter',
      series: [
        { series: `otelcol_exporter_send_failed_metric_points_total{${gw}, exporter="prometheus_remote_write"}`, values: '0+100x30' },
        { series: `otelcol_exporter_send_failed_spans_total{${gw}, exporter="otlp_grpc/jaeger"}`, values: '3x30' },
      ],
      checks: [
        { at: '6m', alert: 'OtelCollectorExporterSendFailing', firing: [] },
        {
          at: '15m',
          alert: 'OtelCollectorExporterSendFailing',
          firing: [{ severity: 'warning', namespace: 'monitoring', pod: 'otel-collector-a', exporter: 'prometheus_remote_write' }],
        },
      ],
    },
    {
      name: 'JaegerDown fires 5 minutes after its target goes down, silent while it is up',
      series: [{ series: 'up{job="jaeger", instance="10.0.0.7:8888", namespace="monitoring", pod="jaeger-0"}', values: '1x5 0x20' }],
      checks: [
        { at: '5m', alert: 'JaegerDown', firing: [] },
        { at: '9m', alert: 'JaegerDown', firing: [] },
        { at: '15m', alert: 'JaegerDown', firing: [{ severity: 'critical', job: 'jaeger' }] },
      ],
    },
    {
      name: 'JaegerDown fires when Jaeger is not scraped at all',
      series: [{ series: 'up{job="prometheus", instance="localhost:9090"}', values: '1x20' }],
      checks: [
        { at: '2m', alert: 'JaegerDown', firing: [] },
        { at: '10m', alert: 'JaegerDown', firing: [{ severity: 'critical', job: 'jaeger' }] },
      ],
    },
  ],
};
