import { RuleGroupSpec } from '../../kit/rule-model';

/** The collector's own jobs (gateway and agent); Jaeger exposes otelcol_* metrics too, under job "jaeger". */
const COLLECTOR = 'job=~"otel-collector|otel-collector-agent"';
const SIGNALS = ['spans', 'metric_points', 'log_records'] as const;

/**
 * The per-second rate of one item counter summed over the three signals, by
 * `by`. Each metric is named (not `{__name__=~...}`) so the metric catalogue
 * can check it; label_replace keeps a spans and a logs series of the same
 * component apart, which `or` would otherwise treat as one and drop.
 */
function allSignalsRate(metric: (signal: string) => string, by: string): string {
  const parts = SIGNALS.map((s) => `label_replace(rate(${metric(s)}{${COLLECTOR}}[5m]), "signal", "${s}", "", "")`);
  return `sum by (${by}) (${parts.join(' or ')})`;
}

/**
 * The telemetry pipeline watching itself: the collector refusing or dropping
 * data, its exporter queues filling, exporters failing, and Jaeger gone.
 */
export function otelCollectorRules(): RuleGroupSpec {
  return {
    name: 'telemetry-pipeline',
    rules: [
      {
        alert: 'OtelCollectorRefusingData',
        expr: `${allSignalsRate((s) => `otelcol_receiver_refused_${s}_total`, 'namespace, pod, receiver')} > 0`,
        // memory_limiter refuses in bursts while the GC catches up; 5 minutes of refusals is sustained pressure.
        for: '5m',
        severity: 'warning',
        summary: 'The OpenTelemetry Collector is refusing incoming telemetry.',
        description:
          'Receiver {{ $labels.receiver }} on {{ $labels.namespace }}/{{ $labels.pod }} refuses {{ $value | humanize }} items/s; ' +
          'senders retry or drop them. Usually memory_limiter is over its limit.',
      },
      {
        alert: 'OtelCollectorDroppingData',
        expr: `${allSignalsRate((s) => `otelcol_exporter_enqueue_failed_${s}_total`, 'namespace, pod, exporter')} > 0`,
        // Items that fail to enqueue are gone for good; 2 minutes only rules out a single odd scrape.
        for: '2m',
        severity: 'critical',
        summary: 'The OpenTelemetry Collector is dropping telemetry.',
        description:
          'Exporter {{ $labels.exporter }} on {{ $labels.namespace }}/{{ $labels.pod }} drops {{ $value | humanize }} items/s ' +
          'because its sending queue is full; that data is lost.',
      },
      {
        alert: 'OtelCollectorExporterQueueNearCapacity',
        expr: `max by (namespace, pod, exporter) (otelcol_exporter_queue_size{${COLLECTOR}} / (otelcol_exporter_queue_capacity{${COLLECTOR}} > 0)) > %{ratio}`,
        thresholds: { ratio: { value: 0.8, description: 'queue size as a share of its capacity, 0-1' } },
        // Above 80% the next burst overflows and is dropped; 10 minutes separates a backlog from a passing spike.
        for: '10m',
        severity: 'warning',
        summary: 'An OpenTelemetry Collector exporter queue is nearly full.',
        description:
          'The sending queue of {{ $labels.exporter }} on {{ $labels.namespace }}/{{ $labels.pod }} is {{ $value | humanizePercentage }} full; ' +
          'its backend is slow or down, and data will be dropped once it is full.',
      },
      {
        alert: 'OtelCollectorExporterSendFailing',
        expr: `${allSignalsRate((s) => `otelcol_exporter_send_failed_${s}_total`, 'namespace, pod, exporter')} > 0`,
        // A backend restart causes a few minutes of failures that the queue absorbs; 10 minutes is an outage.
        for: '10m',
        severity: 'warning',
        summary: 'An OpenTelemetry Collector exporter is failing to send.',
        description:
          'Exporter {{ $labels.exporter }} on {{ $labels.namespace }}/{{ $labels.pod }} fails to send {{ $value | humanize }} items/s; ' +
          'its backend rejects the data or cannot be reached.',
      },
      {
        alert: 'JaegerDown',
        // absent() covers a Jaeger that is not even discovered (StatefulSet deleted, scaled to 0); both sides keep the job label.
        expr: 'max by (job) (up{job="jaeger"}) == 0 or absent(up{job="jaeger"})',
        // A pod restart (Badger reopening its files) takes a minute or two; 5 minutes without Jaeger is an outage.
        for: '5m',
        severity: 'critical',
        summary: 'Jaeger is down.',
        description:
          'No Jaeger instance has been scraped successfully for 5 minutes (job {{ $labels.job }}): traces are not stored and ' +
          'log-to-trace links in Grafana lead nowhere; the collector queues spans until its queue is full.',
      },
    ],
  };
}
