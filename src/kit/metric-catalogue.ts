/**
 * The shapes of the metric catalogue (src/catalog/metrics.ts): a metric with the
 * labels its emitter sets and the scrape job it arrives through, and the series a
 * query may select.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** How a metric reaches Prometheus; decides the target labels it carries. */
export type ScrapeSource =
  | 'prometheus'
  | 'annotated-pods'
  | 'kubelet-cadvisor'
  | 'kubelet'
  | 'kube-state-metrics'
  | 'node-exporter'
  | 'loki'
  | 'log-agent'
  | 'jaeger'
  | 'otel-collector'
  | 'gpu-exporter'
  | 'rabbitmq'
  | 'victoriametrics'
  | 'vmagent'
  | 'loki-ruler'
  | 'llm-spans'
  | 'java-agent';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  /** Labels the emitter sets, without target labels. */
  readonly labels: readonly string[];
  /** Several when more than one job scrapes the same metric (the collector and Jaeger v2 share `otelcol_*`). */
  readonly source: ScrapeSource | readonly ScrapeSource[];
  /** Who emits it (a component or a group of services), for readers. */
  readonly emitter: string;
}

export interface SeriesSpec {
  readonly metric: string;
  readonly labels: ReadonlySet<string>;
}
