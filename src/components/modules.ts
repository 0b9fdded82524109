import type { ComponentModule } from '../kit/module';
import type { EventExporterConfig } from './event-exporter/config';
import type { GpuConfig } from './gpu/config';
import type { JaegerConfig } from './jaeger/config';
import type { KubeStateMetricsConfig } from './kube-state-metrics/config';
import type { LogsConfig } from './loki/config';
import type { NodeExporterConfig } from './node-exporter/config';
import type { OtelCollectorConfig } from './otel-collector/config';
import type { PostgresConfig } from './postgres/config';
import type { RabbitmqConfig } from './rabbitmq/config';
import { eventExporterModule } from './event-exporter/module';
import { gpuModule } from './gpu/module';
import { jaegerModule } from './jaeger/module';
import { kubeStateMetricsModule } from './kube-state-metrics/module';
import { logAgentModule } from './log-agent/module';
import { lokiModule } from './loki/module';
import { nodeExporterModule } from './node-exporter/module';
import { otelCollectorModule } from './otel-collector/module';
import { CatalogueDatabases, postgresModule } from './postgres/module';
import { rabbitmqModule } from './rabbitmq/module';

/**
 * The components that contribute to the shared consumers (the metrics backend,
 * Grafana, the NetworkPolicies), in the order their scrape jobs, rule groups,
 * dashboards and datasources appear in the output. A new component adds its
 * module here; the consumers (Prometheus or VictoriaMetrics, Alertmanager,
 * Grafana) are built after them by the Stack.
 */
/** The config sections the modules read: the whole config satisfies it. */
export interface ComponentsConfig extends CatalogueDatabases {
  readonly kubeStateMetrics: KubeStateMetricsConfig;
  readonly nodeExporter: NodeExporterConfig;
  readonly gpu: GpuConfig;
  readonly traces: JaegerConfig;
  readonly otelCollector: OtelCollectorConfig;
  readonly logs: LogsConfig & { readonly eventExporter: EventExporterConfig };
  readonly postgres?: PostgresConfig;
  readonly rabbitmq?: RabbitmqConfig;
}

export const COMPONENT_MODULES: readonly ComponentModule<ComponentsConfig>[] = [
  kubeStateMetricsModule,
  nodeExporterModule,
  gpuModule,
  jaegerModule,
  otelCollectorModule,
  lokiModule,
  logAgentModule,
  eventExporterModule,
  postgresModule,
  rabbitmqModule,
];
