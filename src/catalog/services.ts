import { DEFAULT_LATENCY_THRESHOLD_MS, type LATENCY_QUANTILES, type ServiceConfig, type SloTargets } from './config';

/**
 * The two HTTP metric vocabularies a service can emit, as query fragments, so a
 * dashboard or an SLO rule is written once for both.
 * - prometheus-client (the Prometheus client libraries' convention): http_requests_total /
 *   http_request_duration_seconds, labels method, route, code; the service is the pod's `app` label.
 *   Its SLOs are on p95.
 * - opentelemetry-ms (OpenTelemetry metrics in milliseconds): http_server_requests_total /
 *   http_server_request_duration_ms, labels service, method, route, status_code. Its SLOs are on p99.
 */
export interface HttpVocabulary {
  readonly requests: string;
  /** The histogram name without `_bucket`. */
  readonly duration: string;
  readonly statusLabel: string;
  /** Multiply the histogram's values by this to get milliseconds. */
  readonly toMs: number;
  /** The latency quantile this convention sets its SLOs on, unless the config names one. */
  readonly sloQuantile: LatencyQuantile;
  /**
   * The histogram's finite bucket bounds, in its unit: the clients' defaults
   * (client_golang's DefBuckets, OpenTelemetry's default explicit buckets).
   * The latency SLO reads the buckets around its target.
   */
  readonly buckets: readonly number[];
}

export type LatencyQuantile = (typeof LATENCY_QUANTILES)[number];

export const HTTP_VOCABULARY: Readonly<Record<ServiceConfig['httpVocabulary'], HttpVocabulary>> = {
  'prometheus-client': {
    requests: 'http_requests_total', duration: 'http_request_duration_seconds', statusLabel: 'code',
    toMs: 1000,
    sloQuantile: 0.95,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  'opentelemetry-ms': {
    requests: 'http_server_requests_total',
    duration: 'http_server_request_duration_ms',
    statusLabel: 'status_code',
    toMs: 1,
    sloQuantile: 0.99,
    buckets: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
  },
};

/**
 * The label matchers that select one service's own series. Both vocabularies
 * are selected by the pod's `app` label (which the instrumentation helper sets
 * to the service name), not the opentelemetry-ms `service` label, so one matcher fits all.
 */
export function serviceMatchers(svc: Pick<ServiceConfig, 'name' | 'namespace'>): string {
  return `namespace="${svc.namespace}", app="${svc.name}"`;
}

/** Exported by services with `buildInfo: true`: 1, with the build's `version` and `revision` (commit SHA). */
export const BUILD_INFO = 'build_info';

/** Counted by services with `webhookEvents: true`, one per webhook received; `status` is the HTTP status answered. */
export const WEBHOOK_EVENTS = 'webhook_events_total';

/** The selector of the given services' own series (several services: one regex per label). */
export function servicesMatchers(services: readonly Pick<ServiceConfig, 'name' | 'namespace'>[]): string {
  const alt = (values: string[]) => [...new Set(values)].sort().join('|');
  return `namespace=~"${alt(services.map((s) => s.namespace))}", app=~"${alt(services.map((s) => s.name))}"`;
}

export interface LatencyObjective {
  readonly quantile: LatencyQuantile;
  readonly thresholdMs: number;
}

export interface EffectiveSlo {
  readonly latency: LatencyObjective;
  readonly errorRatio: number;
  readonly latencyRoute?: string;
}

/**
 * The deprecated `latencyP99Ms` read as what it always meant, a p99 target; at
 * most one of the two forms is set (checkConfig refuses both).
 */
function latencyOf(level: { latency?: Partial<LatencyObjective>; latencyP99Ms?: number }): Partial<LatencyObjective> {
  return level.latencyP99Ms !== undefined ? { quantile: 0.99, thresholdMs: level.latencyP99Ms } : (level.latency ?? {});
}

/** The latency threshold of services without their own (also what tail sampling keeps as slow). */
export function defaultLatencyThresholdMs(slo: SloTargets): number {
  return latencyOf(slo).thresholdMs ?? DEFAULT_LATENCY_THRESHOLD_MS;
}

/**
 * The targets that apply to a service: its own, else the top-level `slo`
 * ones; the latency quantile last of all from its HTTP vocabulary.
 */
export function effectiveSlo(svc: ServiceConfig, slo: SloTargets): EffectiveSlo {
  const own = latencyOf(svc.slo);
  const shared = latencyOf(slo);
  return {
    latency: {
      quantile: own.quantile ?? shared.quantile ?? HTTP_VOCABULARY[svc.httpVocabulary].sloQuantile,
      thresholdMs: own.thresholdMs ?? defaultLatencyThresholdMs(slo),
    },
    errorRatio: svc.slo.errorRatio ?? slo.errorRatio,
    latencyRoute: svc.slo.latencyRoute,
  };
}

/** "p95" for 0.95. */
export const quantileName = (q: LatencyQuantile): string => `p${Math.round(q * 100)}`;

/** The service's SLO latency in milliseconds, at its objective's quantile and on its route, over `range`. */
export function sloLatencyQuery(svc: ServiceConfig, target: EffectiveSlo, range = '5m'): string {
  const v = HTTP_VOCABULARY[svc.httpVocabulary];
  const route = target.latencyRoute ? `, route="${target.latencyRoute}"` : '';
  const quantile = `histogram_quantile(${target.latency.quantile}, sum by (le) (rate(${v.duration}_bucket{${serviceMatchers(svc)}${route}}[${range}])))`;
  return v.toMs === 1 ? quantile : `${quantile} * ${v.toMs}`;
}
