import { LOKI_HTTP_PORT } from '../components/loki/loki';
import { prometheusUrl } from '../components/prometheus/prometheus';
import { VM_PORTS } from '../components/victoriametrics/victoriametrics';
import type { StackConfig } from '../config/schema';

/** The suffix every Loki push URL ends with; the OTLP endpoint is the same host's /otlp. */
export const LOKI_PUSH_PATH = '/loki/api/v1/push';

/**
 * Where this cluster's telemetry goes and what it is tagged with, computed once
 * from the config (issue 11). All-in-one and central clusters send to their own
 * in-cluster backends; an agent cluster sends to the central endpoints of
 * `topology.central`.
 */
export interface TelemetryLinks {
  readonly role: StackConfig['topology']['role'];
  /** Whether this cluster runs backends, rules and Grafana. */
  readonly runsBackends: boolean;
  /** Prometheus remote-write URL every metrics sender uses. */
  readonly metricsWriteUrl: string;
  readonly lokiPushUrl: string;
  /** Loki's OTLP base URL (the collector's otlp_http exporter appends /v1/logs). */
  readonly lokiOtlpUrl: string;
  /** X-Scope-OrgID of this cluster's logs; undefined for a single-tenant Loki. */
  readonly lokiTenant?: string;
  /** Loki tenants Grafana reads (central only): this cluster's own, then the agents'. */
  readonly grafanaLokiTenants: readonly string[];
  /** The central collector's OTLP/HTTP base URL (agent only). */
  readonly centralOtlpUrl?: string;
}

/** The in-cluster remote-write URL of the chosen metrics backend. */
export function localMetricsWriteUrl(backend: StackConfig['metrics']['backend'], namespace: string): string {
  switch (backend) {
    case 'prometheus':
      return `${prometheusUrl(namespace)}/api/v1/write`;
    case 'victoriametrics':
      return `http://victoriametrics.${namespace}.svc:${VM_PORTS.single}/api/v1/write`;
    case 'victoriametrics-cluster':
      return `http://vminsert.${namespace}.svc:${VM_PORTS.vminsert}/insert/0/prometheus/api/v1/write`;
  }
}

export function telemetryLinks(config: StackConfig): TelemetryLinks {
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
  const lokiUrl = `http://loki.${config.namespaces.monitoring}.svc:${LOKI_HTTP_PORT}`;
  return {
    role,
    runsBackends: true,
    metricsWriteUrl: localMetricsWriteUrl(config.metrics.backend, config.namespaces.monitoring),
    lokiPushUrl: `${lokiUrl}${LOKI_PUSH_PATH}`,
    lokiOtlpUrl: `${lokiUrl}/otlp`,
    // Central: Loki is multi-tenant, and this cluster's own logs are one tenant among the agents'.
    lokiTenant: role === 'central' ? config.cluster : undefined,
    grafanaLokiTenants: role === 'central' ? [config.cluster, ...tenants] : [],
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
