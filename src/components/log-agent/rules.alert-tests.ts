import { AlertTests } from '../../kit/alert-tests';

export const logAgentAlertTests: AlertTests = {
  group: 'log-agent',
  cases: [
    {
      name: 'LogAgentSendFailures fires for the Promtail pod whose pushes fail for 15 minutes, not for a healthy one',
      series: [
        { series: 'promtail_request_duration_seconds_count{namespace="monitoring-agents", pod="promtail-a", host="loki.monitoring.svc:3100", status_code="204"}', values: '0+60x60' },
        { series: 'promtail_request_duration_seconds_count{namespace="monitoring-agents", pod="promtail-a", host="loki.monitoring.svc:3100", status_code="-1"}', values: '0x10 0+30x50' },
        { series: 'promtail_request_duration_seconds_count{namespace="monitoring-agents", pod="promtail-b", host="loki.monitoring.svc:3100", status_code="204"}', values: '0+60x60' },
      ],
      checks: [
        { at: '20m', alert: 'LogAgentSendFailures', firing: [] },
        { at: '35m', alert: 'LogAgentSendFailures', firing: [{ severity: 'warning', namespace: 'monitoring-agents', pod: 'promtail-a' }] },
      ],
    },
    {
      name: 'LogAgentSendFailures works with Alloy\'s loki.write metrics too',
      series: [
        { series: 'loki_write_request_duration_seconds_count{namespace="monitoring-agents", pod="alloy-a", component_id="loki.write.loki", status_code="204"}', values: '0+10x40' },
        { series: 'loki_write_request_duration_seconds_count{namespace="monitoring-agents", pod="alloy-a", component_id="loki.write.loki", status_code="429"}', values: '0+10x40' },
      ],
      checks: [
        { at: '10m', alert: 'LogAgentSendFailures', firing: [] },
        { at: '25m', alert: 'LogAgentSendFailures', firing: [{ severity: 'warning', namespace: 'monitoring-agents', pod: 'alloy-a' }] },
      ],
    },
    {
      name: 'LogAgentDroppingLines fires as soon as lines are dropped, by either agent, and is silent otherwise',
      series: [
        { series: 'promtail_dropped_entries_total{namespace="monitoring-agents", pod="promtail-a", host="loki.monitoring.svc:3100", reason="ingester_error"}', values: '0x10 5x20' },
        { series: 'promtail_dropped_entries_total{namespace="monitoring-agents", pod="promtail-b", host="loki.monitoring.svc:3100", reason="ingester_error"}', values: '0x30' },
        { series: 'loki_write_dropped_entries_total{namespace="monitoring-agents", pod="alloy-a", reason="rate_limited"}', values: '0x15 3x15' },
      ],
      checks: [
        { at: '5m', alert: 'LogAgentDroppingLines', firing: [] },
        { at: '12m', alert: 'LogAgentDroppingLines', firing: [{ severity: 'warning', namespace: 'monitoring-agents', pod: 'promtail-a', reason: 'ingester_error' }] },
        {
          at: '17m',
          alert: 'LogAgentDroppingLines',
          firing: [
            { severity: 'warning', namespace: 'monitoring-agents', pod: 'promtail-a', reason: 'ingester_error' },
            { severity: 'warning', namespace: 'monitoring-agents', pod: 'alloy-a', reason: 'rate_limited' },
          ],
        },
        // Ten minutes after the last drop the window is clean again.
        { at: '29m', alert: 'LogAgentDroppingLines', firing: [] },
      ],
    },
  ],
};
