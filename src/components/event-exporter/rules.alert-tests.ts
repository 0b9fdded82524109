import { AlertTests } from '../../kit/alert-tests';

const up = (pod: string) => `up{job="kube-event-exporter", namespace="monitoring", pod="${pod}", instance="${pod}:2112"}`;

export const eventExporterAlertTests: AlertTests = {
  group: 'kube-event-exporter',
  cases: [
    {
      name: 'KubeEventExporterDown is silent while one replica of two is up',
      series: [
        { series: up('kube-event-exporter-a'), values: '1x30' },
        { series: up('kube-event-exporter-b'), values: '0x30' },
      ],
      checks: [{ at: '25m', alert: 'KubeEventExporterDown', firing: [] }],
    },
    {
      name: 'KubeEventExporterDown fires 10 minutes after every replica is down, not before',
      series: [
        { series: up('kube-event-exporter-a'), values: '1x5 0x30' },
        { series: up('kube-event-exporter-b'), values: '1x5 0x30' },
      ],
      checks: [
        { at: '10m', alert: 'KubeEventExporterDown', firing: [] },
        { at: '20m', alert: 'KubeEventExporterDown', firing: [{ severity: 'warning', job: 'kube-event-exporter' }] },
      ],
    },
    {
      name: 'KubeEventExporterDown fires when the exporter is not scraped at all',
      series: [{ series: 'up{job="prometheus", instance="localhost:9090"}', values: '1x20' }],
      checks: [{ at: '15m', alert: 'KubeEventExporterDown', firing: [{ severity: 'warning', job: 'kube-event-exporter' }] }],
    },
  ],
};
