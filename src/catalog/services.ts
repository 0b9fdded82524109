import type { ServiceConfig } from '../config/schema';

/**
 * The two HTTP metric vocabularies of the seeds, as query fragments, so a
 * dashboard or an SLO rule is written once for both.
 * - seed 1 (Prometheus client): http_requests_total / http_request_duration_seconds,
 *   labels method, route, code; the service is the pod's `app` label.
 * - seed 2 (OpenTelemetry): http_server_requests_total / http_server_request_duration_ms,
 *   labels service, method, route, status_code.
 */
export interface HttpVocabulary {
  readonly requests: string;
  /** The histogram name without `_bucket`. */
  readonly duration: string;
  readonly statusLabel: string;
  /** Multiply the histogram's values by this to get milliseconds. */
  readonly toMs: number;
  /**
   * The histogram's finite bucket bounds, in its unit: the clients' defaults
   * (client_golang's DefBuckets, OpenTelemetry's default explicit buckets).
   * The latency SLO reads the buckets around its target.
   */
  readonly buckets: readonly number[];
}

export const HTTP_VOCABULARY: Readonly<Record<ServiceConfig['httpVocabulary'], HttpVocabulary>> = {
  seed1: {
    requests: 'http_requests_total', duration: 'http_request_duration_seconds', statusLabel: 'code',
    toMs: 1000,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  seed2: {
    requests: 'http_server_requests_total',
    duration: 'http_server_request_duration_ms',
    statusLabel: 'status_code',
    toMs: 1,
    buckets: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000],
  },
};

/**
 * The label matchers that select one service's own series. Both vocabularies
 * are selected by the pod's `app` label (which the instrumentation helper sets
 * to the service name), not seed 2's `service` label, so one matcher fits all.
 */
export function serviceMatchers(svc: Pick<ServiceConfig, 'name' | 'namespace'>): string {
  return `namespace="${svc.namespace}", app="${svc.name}"`;
}
