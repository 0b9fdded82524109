import { AlertTests, counterValues } from '../kit/alert-tests';

/**
 * The burn-rate alerts on the services of the shipped configs (config/*.yaml):
 * order-service (prometheus-client vocabulary, 99.9% availability), gateway (opentelemetry-ms
 * vocabulary, p99 < 200 ms) and iam (p99 < 300 ms on its login route).
 */
const ORDER = { namespace: 'go-ecommerce', service: 'order-service' };
const GATEWAY = { namespace: 'platform-services', service: 'gateway' };
const order = (code: string) => `http_requests_total{namespace="go-ecommerce", app="order-service", route="/api/v1/orders", code="${code}"}`;

/** order-service's good and 5xx counters from segments of [steps, good per step, 5xx per step]. */
function orderTraffic(segments: ReadonlyArray<readonly [number, number, number]>) {
  return [
    { series: order('200'), values: counterValues(segments.map(([n, good]) => [n, good] as const)) },
    { series: order('500'), values: counterValues(segments.map(([n, , bad]) => [n, bad] as const)) },
  ];
}

const page = (labels: Record<string, string>, slo: string) => ({ severity: 'critical', ...labels, slo });
const ticket = (labels: Record<string, string>, slo: string) => ({ severity: 'warning', ...labels, slo });

/**
 * A 5-minute blip of 5% 5xx (50 times the 0.1% budget rate) after `quietMinutes`: about 0.6% of the month's
 * budget. The long windows need the quiet hours before it: over a service's first hours every window holds
 * only those hours, and the same blip is a large share of them.
 */
const blip = (quietMinutes: number) =>
  orderTraffic([
    [quietMinutes, 1000, 0],
    [5, 950, 50],
    [120, 1000, 0],
  ]);

export const sloPageAlertTests: AlertTests = {
  group: 'slo',
  cases: [
    {
      name: 'SloErrorBudgetBurnFast: half the requests of order-service fail for 10 minutes: a page within minutes, reset within the 30-minute short window after recovery',
      series: orderTraffic([
        [60, 1000, 0],
        [10, 500, 500],
        [60, 1000, 0],
      ]),
      checks: [
        { at: '60m', alert: 'SloErrorBudgetBurnFast', firing: [] },
        // 4 minutes in, the 1h window burns at 16.7x and the 5m one far above: the 1h/5m pair pages. (A minute earlier
        // only the 6h window, holding just this service's first hour, was above its 6x; it is recorded every 2 minutes.)
        { at: '64m', alert: 'SloErrorBudgetBurnFast', firing: [page(ORDER, 'availability')] },
        // Recovered at 70m: the 1h/5m pair stops within 5 minutes; the 6h/30m pair holds while the outage is in its 30 minutes.
        { at: '90m', alert: 'SloErrorBudgetBurnFast', firing: [page(ORDER, 'availability')] },
        { at: '110m', alert: 'SloErrorBudgetBurnFast', firing: [] },
      ],
    },
    {
      name: "SloErrorBudgetBurnFast on latency: every gateway request slower than its 200 ms target pages; iam's login at 250 ms is within its own 300 ms target",
      series: [
        // Prometheus 3 spells classic bucket bounds as floats (le="250.0"); older clients' remote writes do not.
        { series: 'http_server_request_duration_ms_bucket{namespace="platform-services", app="gateway", service="gateway", le="100.0"}', values: '0x40' },
        { series: 'http_server_request_duration_ms_bucket{namespace="platform-services", app="gateway", service="gateway", le="250.0"}', values: '0x40' },
        { series: 'http_server_request_duration_ms_count{namespace="platform-services", app="gateway", service="gateway"}', values: '0+1000x40' },
        ...['250', '500'].map((le) => ({
          series: `http_server_request_duration_ms_bucket{namespace="platform-services", app="iam", service="iam", route="/api/v1/auth/login", le="${le}"}`,
          values: '0+1000x40',
        })),
        { series: 'http_server_request_duration_ms_count{namespace="platform-services", app="iam", service="iam", route="/api/v1/auth/login"}', values: '0+1000x40' },
      ],
      checks: [
        { at: '0m', alert: 'SloErrorBudgetBurnFast', firing: [] },
        { at: '5m', alert: 'SloErrorBudgetBurnFast', firing: [page(GATEWAY, 'latency')] },
      ],
    },
    {
      name: 'SloErrorBudgetBurnFast stays silent through a 5-minute blip that does not threaten the budget',
      series: blip(180),
      checks: ['182m', '185m', '190m', '200m', '220m'].map((at) => ({ at, alert: 'SloErrorBudgetBurnFast', firing: [] })),
    },
  ],
};

export const sloTicketAlertTests: AlertTests = {
  group: 'slo-long',
  // The group runs every 5 minutes; days of input at promtool's default 1 minute would only cost time.
  evaluationInterval: '5m',
  cases: [
    {
      name: 'SloErrorBudgetBurnSlow: 0.5% 5xx (5 times the budget rate, below both page factors) opens a ticket after hours, and resets within the 6-hour short window after recovery',
      // A sample every 2.5 minutes: enough for the 5-minute rates, and half the input of one a minute.
      interval: '150s',
      series: orderTraffic([
        [24 * 24, 2000, 0],
        [10 * 24, 1990, 10],
        [6 * 24, 2000, 0],
      ]),
      checks: [
        // The 3-day ratio (over the day and a half there is) passes 0.1% after about 6 hours of burning.
        { at: '29h', alert: 'SloErrorBudgetBurnSlow', firing: [] },
        { at: '32h', alert: 'SloErrorBudgetBurnSlow', firing: [ticket(ORDER, 'availability')] },
        { at: '34h', alert: 'SloErrorBudgetBurnSlow', firing: [ticket(ORDER, 'availability')] },
        // Recovered at 34h: silent once the burn has left the 6-hour window, though the long windows still hold it.
        { at: '40h', alert: 'SloErrorBudgetBurnSlow', firing: [] },
      ],
    },
    {
      name: 'SloErrorBudgetBurnSlow stays silent through a 5-minute blip',
      series: blip(360),
      checks: ['365m', '370m', '380m', '420m', '480m'].map((at) => ({ at, alert: 'SloErrorBudgetBurnSlow', firing: [] })),
    },
  ],
};
