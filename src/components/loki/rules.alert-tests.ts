import { AlertTests } from '../../kit/alert-tests';

const requests = (route: string, code: string) =>
  `loki_request_duration_seconds_count{namespace="monitoring", job="loki", route="${route}", status_code="${code}"}`;

export const lokiAlertTests: AlertTests = {
  group: 'loki',
  cases: [
    {
      name: 'LokiRequestErrors fires after 15 minutes above 10% 5xx on one route, not on a healthy route',
      series: [
        // push: 100 req/min, 20 of them 500 from minute 10 on.
        { series: requests('loki_api_v1_push', '204'), values: '0+100x60' },
        { series: requests('loki_api_v1_push', '500'), values: '0x10 0+20x50' },
        // query_range: 1% errors, below the threshold.
        { series: requests('loki_api_v1_query_range', '200'), values: '0+99x60' },
        { series: requests('loki_api_v1_query_range', '500'), values: '0+1x60' },
      ],
      checks: [
        { at: '20m', alert: 'LokiRequestErrors', firing: [] },
        {
          at: '35m',
          alert: 'LokiRequestErrors',
          firing: [{ severity: 'critical', namespace: 'monitoring', job: 'loki', route: 'loki_api_v1_push' }],
        },
      ],
    },
    {
      name: 'LokiIngestionRejects fires after 15 minutes of discarded lines, silent when nothing is discarded',
      series: [
        { series: 'loki_discarded_samples_total{namespace="monitoring", job="loki", reason="per_stream_rate_limit", tenant="fake"}', values: '0x5 0+50x40' },
        { series: 'loki_discarded_samples_total{namespace="monitoring", job="loki", reason="line_too_long", tenant="fake"}', values: '0x45' },
      ],
      checks: [
        { at: '5m', alert: 'LokiIngestionRejects', firing: [] },
        { at: '15m', alert: 'LokiIngestionRejects', firing: [] },
        {
          at: '30m',
          alert: 'LokiIngestionRejects',
          firing: [{ severity: 'warning', namespace: 'monitoring', job: 'loki', reason: 'per_stream_rate_limit' }],
        },
      ],
    },
  ],
};
