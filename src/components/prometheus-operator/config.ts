import { z } from 'zod';
import { dnsLabel, labelKey, labelValue, withDefault } from '../../config/fields';

/** kube-prometheus-stack's defaults, for a release named `kube-prometheus-stack` in the `monitoring` namespace. */
export const PROMETHEUS_OPERATOR_DEFAULTS = {
  prometheusUrl: 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090',
  selectorLabels: { release: 'kube-prometheus-stack' } as Record<string, string>,
  grafanaNamespace: 'monitoring',
  dashboardLabel: { key: 'grafana_dashboard', value: '1' },
  datasourceLabel: { key: 'grafana_datasource', value: '1' },
};

/** `http://<service>.<namespace>.svc[.cluster.local]:<port>`: an in-cluster Service, so the namespace is known. */
const IN_CLUSTER_URL = /^http:\/\/[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.cluster\.local)?:\d{1,5}$/;

const sidecarLabel = (what: string, d: { key: string; value: string }) =>
  withDefault(z.strictObject({ key: labelKey, value: labelValue }), d, `The label ${what}.`);

export const prometheusOperatorConfig = z
  .strictObject({
    prometheusUrl: withDefault(
      z.string().regex(IN_CLUSTER_URL, { error: 'expected an in-cluster Service URL like "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"' }),
      PROMETHEUS_OPERATOR_DEFAULTS.prometheusUrl,
      "The operator's Prometheus Service. Grafana's datasources are the cluster's own; this URL is where the collector " +
        "and Loki's ruler remote-write (<url>/api/v1/write: set prometheusSpec.enableRemoteWriteReceiver: true in " +
        "kube-prometheus-stack's values), and its namespace is the one whose Prometheus pods may scrape this stack.",
    ),
    selectorLabels: withDefault(
      z.record(labelKey, labelValue).refine((l) => Object.keys(l).length > 0, { error: 'expected at least one label' }),
      PROMETHEUS_OPERATOR_DEFAULTS.selectorLabels,
      "Labels on every PrometheusRule, PodMonitor and ServiceMonitor, so the operator's Prometheus selects them " +
        '(its ruleSelector, podMonitorSelector and serviceMonitorSelector; kube-prometheus-stack matches release: <release name>).',
    ),
    grafanaNamespace: withDefault(
      dnsLabel('a namespace name'),
      PROMETHEUS_OPERATOR_DEFAULTS.grafanaNamespace,
      "Namespace of kube-prometheus-stack's Grafana. Its datasource sidecar only reads ConfigMaps there (the dashboard " +
        'sidecar reads every namespace), and its pods are let through to Loki and Jaeger.',
    ),
    dashboardLabel: sidecarLabel("kube-prometheus-stack's Grafana dashboard sidecar loads ConfigMaps by (grafana.sidecar.dashboards.label/labelValue)", PROMETHEUS_OPERATOR_DEFAULTS.dashboardLabel),
    datasourceLabel: sidecarLabel("its datasource sidecar loads ConfigMaps by (grafana.sidecar.datasources.label/labelValue)", PROMETHEUS_OPERATOR_DEFAULTS.datasourceLabel),
  })
  .prefault({})
  .describe(
    'The Prometheus Operator stack (kube-prometheus-stack) this one adds to, with metrics.backend "prometheus-operator". ' +
      'Defaults fit a kube-prometheus-stack release named "kube-prometheus-stack" in the "monitoring" namespace.',
  );

export type PrometheusOperatorConfig = z.output<typeof prometheusOperatorConfig>;

/** The namespace of an in-cluster Service URL (validated by the schema above). */
export function serviceNamespace(url: string): string {
  return new URL(url).hostname.split('.')[1];
}
