import { AlertTests } from '../kit/alert-tests';

export const selfMonitoringAlertTests: AlertTests = {
  group: 'stack-self-monitoring',
  cases: [
    {
      name: 'Watchdog always fires',
      series: [],
      checks: [{ at: '1m', alert: 'Watchdog', firing: [{ severity: 'info' }] }],
    },
    {
      name: 'TargetDown is silent when no target reports at all (absence is for Watchdog and the exporters\' own alerts)',
      series: [],
      checks: [{ at: '1m', alert: 'TargetDown', firing: [] }],
    },
    {
      name: 'TargetDown fires after 5 minutes down, not before, and only for the target that is down',
      series: [
        { series: 'up{job="node-exporter", instance="node-1", namespace="monitoring-agents", pod="ne-1"}', values: '1x5 0x15' },
        { series: 'up{job="node-exporter", instance="node-2", namespace="monitoring-agents", pod="ne-2"}', values: '1x20' },
      ],
      checks: [
        { at: '5m', alert: 'TargetDown', firing: [] },
        // Down from minute 6: pending at 10m, firing from 11m.
        { at: '10m', alert: 'TargetDown', firing: [] },
        {
          at: '12m',
          alert: 'TargetDown',
          firing: [{ severity: 'warning', job: 'node-exporter', instance: 'node-1', namespace: 'monitoring-agents', pod: 'ne-1' }],
        },
      ],
    },
  ],
};
