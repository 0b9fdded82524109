// The rules and SLO panels as they were before the HTTP rates and SLOs were
// recorded, kept here so every run measures both on the same data: the
// Platform-Kernel HTTP alerts on raw series, one 5-minute error-ratio and one
// p99 alert per catalogue service, and the SLO overview's four panels per
// service (p99, 5xx ratio, burn over 1h and budget left from a raw 30-day rate).
// Everything else of the groups is the synthesized one.

/** The two HTTP vocabularies (src/catalog/services.ts), as the rules and panels wrote them. */
const VOCABULARY = {
  'prometheus-client': { requests: 'http_requests_total', duration: 'http_request_duration_seconds', statusLabel: 'code', toMs: 1000 },
  'opentelemetry-ms': { requests: 'http_server_requests_total', duration: 'http_server_request_duration_ms', statusLabel: 'status_code', toMs: 1 },
};

const RAW_PLATFORM_KERNEL = {
  ErrorRateCritical: `sum by (namespace, service) (rate(http_server_requests_total{status_code=~"5.."}[1m]))
  / sum by (namespace, service) (rate(http_server_requests_total[1m])) > 0.01`,
  P99LatencyWarning: 'histogram_quantile(0.99, sum by (namespace, service, le) (rate(http_server_request_duration_ms_bucket[5m]))) > 200',
};

function service(svc, slo) {
  const v = VOCABULARY[svc.httpVocabulary ?? 'prometheus-client'];
  const sel = `namespace="${svc.namespace}", app="${svc.name}"`;
  const route = svc.slo?.latencyRoute ? `, route="${svc.slo.latencyRoute}"` : '';
  const errorRatio = svc.slo?.errorRatio ?? slo.errorRatio;
  const latencyMs = svc.slo?.latencyP99Ms ?? slo.latencyP99Ms;
  const ratio = (range) => `sum(rate(${v.requests}{${sel}, ${v.statusLabel}=~"5.."}[${range}])) / sum(rate(${v.requests}{${sel}}[${range}]))`;
  const p99 = `histogram_quantile(0.99, sum by (le) (rate(${v.duration}_bucket{${sel}${route}}[5m])))${v.toMs === 1 ? '' : ` * ${v.toMs}`}`;
  return { ratio, p99, errorRatio, latencyMs };
}

/**
 * The `platform-kernel` group as synthesized, with its recordings removed and
 * its HTTP alerts back on raw series; and the single-window `slo` group.
 * Named `before-*` so they run beside the shipped groups.
 */
export function beforeRuleGroups(platformKernel, services, slo) {
  const kernel = {
    name: 'before-platform-kernel',
    rules: platformKernel.rules
      .filter((r) => r.alert)
      .map((r) => (RAW_PLATFORM_KERNEL[r.alert] ? { ...r, expr: RAW_PLATFORM_KERNEL[r.alert] } : r)),
  };
  const sloGroup = {
    name: 'before-slo',
    rules: services.flatMap((svc) => {
      const s = service(svc, slo);
      const labels = { service: svc.name, namespace: svc.namespace, severity: 'warning' };
      return [
        { alert: 'SloErrorRateHigh', expr: `${s.ratio('5m')} > ${s.errorRatio}`, for: '10m', labels },
        { alert: 'SloLatencyHigh', expr: `${s.p99} > ${s.latencyMs}`, for: '10m', labels },
      ];
    }),
  };
  return [kernel, sloGroup];
}

/** The SLO overview's per-service panel queries before (all instant): what one service's row asked. */
export function beforeSloPanels(svc, slo) {
  const s = service(svc, slo);
  return {
    'p99': s.p99,
    '5xx ratio': s.ratio('5m'),
    'error budget burn (1h)': `(${s.ratio('1h')}) / ${s.errorRatio}`,
    'error budget left (30d)': `1 - (${s.ratio('30d')}) / ${s.errorRatio}`,
  };
}
