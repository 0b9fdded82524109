import type { StackConfig } from '../config/schema';
import type { ComponentModule } from '../kit/module';
import { eventExporterModule } from './event-exporter/module';
import { gpuModule } from './gpu/module';
import { jaegerModule } from './jaeger/module';
import { kubeStateMetricsModule } from './kube-state-metrics/module';
import { logAgentModule } from './log-agent/module';
import { lokiModule } from './loki/module';
import { nodeExporterModule } from './node-exporter/module';
import { otelCollectorModule } from './otel-collector/module';
import { postgresModule } from './postgres/module';
import { rabbitmqModule } from './rabbitmq/module';

/**
 * The components that contribute to the shared consumers (the metrics backend,
 * Grafana, the NetworkPolicies), in the order their scrape jobs, rule groups,
 * dashboards and datasources appear in the output. A new component adds its
 * module here; the consumers (Prometheus or VictoriaMetrics, Alertmanager,
 * Grafana) are built after them by the Stack.
 */
export const COMPONENT_MODULES: readonly ComponentModule<StackConfig>[] = [
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
