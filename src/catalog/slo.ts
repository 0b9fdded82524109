import type { ServiceConfig, SloTargets } from './config';
import { effectiveSlo, HTTP_VOCABULARY, quantileName, serviceMatchers } from './services';

/**
 * A catalogue service's SLOs as error budgets, and the names of the recordings
 * that carry them. The alerts (src/alerting/slo-rules.ts) and the SLO overview
 * dashboard read the same recordings, so both are written from here.
 *
 * Two SLOs per service, each a share of "bad" requests allowed over the period:
 * - availability: bad = 5xx; objective 1 - errorRatio (0.1% -> 99.9%);
 * - latency: bad = slower than the latency target; objective its quantile (a
 *   p95 target of 200 ms allows 5% of requests above 200 ms, a p99 one 1%).
 */

/** The SLO period: budgets are spent over a rolling 30 days (the SRE workbook's burn factors assume it). */
export const SLO_PERIOD = '30d';
export const SLO_PERIOD_SECONDS = 30 * 86400;

/** The windows of the SLI error-ratio recordings. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];

/** The generated SLOs of a service that declares none of its own (services[].slo.objectives). */
export type SloKind = 'availability' | 'latency';

/** Recording names, `level:metric:operation`; the level says which labels each series has. */
export const SLO_RECORD = {
  requests: 'namespace_service_slo:slo_requests:rate5m',
  errors: 'namespace_service_slo:slo_errors:rate5m',
  /** Hourly means of the 5-minute rates, recorded once an hour: what the windows of a day and more sum. */
  requests1h: 'namespace_service_slo:slo_requests:rate1h',
  errors1h: 'namespace_service_slo:slo_errors:rate1h',
  objective: 'namespace_service_slo:slo_objective:ratio',
  errorRatio: (w: SliWindow | '30d') => `namespace_service_slo:sli_error:ratio_rate${w}`,
  budgetRemaining: 'namespace_service_slo:slo_error_budget_remaining:ratio',
} as const;

/** The labels every SLO series carries; alerts and panels join on them. */
export const SLO_LABELS = 'namespace, service, slo';

export interface ServiceSlo {
  /** The `slo` label: a generated kind, or the name the service's own objective gives. */
  readonly name: SloKind | string;
  /** What it promises, for panel titles: "5xx < 0.1%", "p99 < 200 ms", or the objective's own. */
  readonly promise: string;
  readonly objective: number;
  /** PromQL: the rate of all requests the SLO counts, over 5 minutes. */
  readonly requests: string;
  /** PromQL: the rate of the bad ones. */
  readonly errors: string;
  /**
   * A generated SLO's two expressions for any selection of services, aggregated `by (namespace, app)`: the
   * services whose SLIs differ only in which service they select are recorded together, in one rule each
   * (src/alerting/slo-rules.ts). Absent for a service's own objectives, whose selectors are their own.
   */
  readonly shared?: SharedSli;
}

export interface SharedSli {
  /** `requests` and `errors` for the services `selector` matches, one series per namespace and app. */
  readonly expressions: (selector: string) => { readonly requests: string; readonly errors: string };
}

/** The aggregation of a shared SLI: one series per service; src/alerting/slo-rules.ts turns `app` into `service`. */
const SHARED_SLI_BY = 'namespace, app';

/**
 * A service's SLOs as PromQL over its raw series: its own objectives when it declares them (or an
 * OpenSLO file does), else the generated availability and latency pair from its vocabulary.
 */
export function serviceSlos(svc: ServiceConfig, slo: SloTargets): ServiceSlo[] {
  if (svc.slo.objectives) {
    return svc.slo.objectives.map((o) => {
      const rate = (selector: string) => `sum(rate(${selector}[5m]))`;
      const requests = rate(o.total);
      return {
        name: o.name,
        promise: `${o.description ? `${o.description}, ` : ''}${round(o.objective * 100)}%`,
        objective: o.objective,
        requests,
        errors: o.bad !== undefined ? rate(o.bad) : `${requests} - ${rate(o.good!)}`,
      };
    });
  }
  const v = HTTP_VOCABULARY[svc.httpVocabulary];
  const target = effectiveSlo(svc, slo);
  const route = target.latencyRoute ? `, route="${target.latencyRoute}"` : '';
  // The same expressions for one service (`sum`) and for all services of the same shape (`sum by (namespace, app)`).
  const availability = (agg: string, sel: string) => ({
    requests: `${agg} (rate(${v.requests}{${sel}}[5m]))`,
    errors: `${agg} (rate(${v.requests}{${sel}, ${v.statusLabel}=~"5.."}[5m]))`,
  });
  const latency = (agg: string, sel: string) => {
    const total = `${agg} (rate(${v.duration}_count{${sel}${route}}[5m]))`;
    return { requests: total, errors: `${total} - (${fasterThan(v.duration, `${sel}${route}`, target.latency.thresholdMs / v.toMs, v.buckets, agg)})` };
  };
  const shared = (kind: typeof availability): SharedSli => ({ expressions: (sel) => kind(`sum by (${SHARED_SLI_BY})`, sel) });
  const sel = serviceMatchers(svc);
  return [
    {
      name: 'availability',
      promise: `5xx < ${target.errorRatio * 100}%`,
      objective: round(1 - target.errorRatio),
      ...availability('sum', sel),
      shared: shared(availability),
    },
    {
      name: 'latency',
      promise: `${quantileName(target.latency.quantile)}${target.latencyRoute ? ` of ${target.latencyRoute}` : ''} < ${target.latency.thresholdMs} ms`,
      objective: target.latency.quantile,
      ...latency('sum', sel),
      shared: shared(latency),
    },
  ];
}

/**
 * PromQL for the rate of requests faster than `limit` (in the histogram's
 * unit): the bucket at `limit`, or, between two buckets, linear interpolation
 * as histogram_quantile does, so the SLO means the same as a p99 panel.
 * Only the one or two buckets around the limit are read, not the whole histogram.
 */
function fasterThan(histogram: string, sel: string, limit: number, buckets: readonly number[], agg: string): string {
  const bucket = (le: number) => `${agg} (rate(${histogram}_bucket{${sel}, le=~"${leValues(le)}"}[5m]))`;
  const exact = buckets.find((b) => Math.abs(b - limit) < 1e-9);
  if (exact !== undefined) return bucket(exact);
  const upper = buckets.find((b) => b > limit);
  // Beyond the last finite bucket nothing is known but "+Inf": every request counts as fast enough there.
  if (upper === undefined) return `${agg} (rate(${histogram}_count{${sel}}[5m]))`;
  const lower = [...buckets].reverse().find((b) => b < limit);
  const f = round((limit - (lower ?? 0)) / (upper - (lower ?? 0)));
  return lower === undefined ? `${bucket(upper)} * ${f}` : `${bucket(lower)} * ${round(1 - f)} + ${bucket(upper)} * ${f}`;
}

/**
 * Both spellings of a bucket bound: Prometheus 3 writes `le` of classic
 * histograms as floats (`le="250.0"`), older scrapes and remote writers as
 * the client printed it (`le="250"`).
 */
function leValues(le: number): string {
  // The added ".0" escaped (`\\.` in the PromQL string): unescaped, `100.0` also matches the bound 10000, which
  // OpenTelemetry's default millisecond buckets have beside 100. A fractional bound ("0.25") has no such twin.
  return Number.isInteger(le) ? `${le}|${le}\\\\.0` : String(le);
}

function round(n: number): number {
  return Number(n.toFixed(6));
}
