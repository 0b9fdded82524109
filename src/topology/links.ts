import { jaegerEndpoints } from '../components/jaeger/jaeger';
import { LOKI_PUSH_PATH, lokiEndpoints } from '../components/loki/common';
import { prometheusUrl } from '../components/prometheus/prometheus';
import { victoriaMetricsClusterEndpoints, victoriaMetricsEndpoints } from '../components/victoriametrics/victoriametrics';
import type { MetricsConfig } from '../components/victoriametrics/config';
import type { TelemetryLinks } from '../kit/module';
import type { TopologyConfig } from './config';

export { LOKI_PUSH_PATH };
export type { TelemetryLinks };

/** The in-cluster remote-write URL of the chosen metrics backend. */
export function localMetricsWriteUrl(metrics: Pick<MetricsConfig, 'backend' | 'prometheusOperator'>, namespace: string): string {
  switch (metrics.backend) {
    case 'prometheus':
      return `${prometheusUrl(namespace)}/api/v1/write`;
    case 'victoriametrics':
      return victoriaMetricsEndpoints(namespace).writeUrl;
    case 'victoriametrics-cluster':
      return victoriaMetricsClusterEndpoints(namespace).writeUrl;
    case 'prometheus-operator':
      return `${metrics.prometheusOperator.prometheusUrl}/api/v1/write`;
  }
}

/** The config sections the links follow from. */
export interface LinkSections {
  readonly cluster: string;
  readonly namespaces: { readonly monitoring: string };
  readonly metrics: Pick<MetricsConfig, 'backend' | 'prometheusOperator'>;
  readonly topology: TopologyConfig;
}

export function telemetryLinks(config: LinkSections): TelemetryLinks {
  const { role, central, tenants } = config.topology;
  if (role === 'agent') {
    if (!central) throw new Error('topology.role "agent" needs topology.central (checked in src/config/checks.ts)');
    return {
      role,
      runsBackends: false,
      metricsWriteUrl: central.remoteWriteUrl,
      lokiPushUrl: central.lokiPushUrl,
      lokiOtlpUrl: lokiOtlpFromPush(central.lokiPushUrl),
      lokiTenant: central.tenant ?? config.cluster,
      grafanaLokiTenants: [],
      centralOtlpUrl: central.otlpUrl,
    };
  }
  // The same functions give the components their own URLs, so senders and receivers cannot disagree.
  const loki = lokiEndpoints(config.namespaces.monitoring);
  return {
    role,
    runsBackends: true,
    metricsWriteUrl: localMetricsWriteUrl(config.metrics, config.namespaces.monitoring),
    lokiPushUrl: loki.pushUrl,
    lokiOtlpUrl: loki.otlpUrl,
    // Central: Loki is multi-tenant, and this cluster's own logs are one tenant among the agents'.
    lokiTenant: role === 'central' ? config.cluster : undefined,
    grafanaLokiTenants: role === 'central' ? [config.cluster, ...tenants] : [],
    jaegerOtlpEndpoint: jaegerEndpoints(config.namespaces.monitoring).otlpGrpcEndpoint,
  };
}

/** `https://host/loki/api/v1/push` -> `https://host/otlp`. */
export function lokiOtlpFromPush(pushUrl: string): string {
  const trimmed = pushUrl.replace(/\/+$/, '');
  if (!trimmed.endsWith(LOKI_PUSH_PATH)) {
    throw new Error(`a Loki push URL must end with ${LOKI_PUSH_PATH}, got "${pushUrl}"`);
  }
  return `${trimmed.slice(0, -LOKI_PUSH_PATH.length)}/otlp`;
}
