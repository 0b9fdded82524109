import { z } from 'zod';
import { alertingConfig, extraAlertRulesConfig } from '../alerting/config';
import { servicesConfig, sloConfig } from '../catalog/config';
import { grafanaConfig } from '../components/grafana/config';
import { gpuConfig } from '../components/gpu/config';
import { jaegerConfig } from '../components/jaeger/config';
import { kubeStateMetricsConfig } from '../components/kube-state-metrics/config';
import { logsConfig } from '../components/loki/config';
import { nodeExporterConfig } from '../components/node-exporter/config';
import { otelCollectorConfig } from '../components/otel-collector/config';
import { postgresConfig } from '../components/postgres/config';
import { prometheusConfig } from '../components/prometheus/config';
import { rabbitmqConfig } from '../components/rabbitmq/config';
import { metricsConfig } from '../components/victoriametrics/config';
import { gitopsConfig } from '../gitops/config';
import { topologyConfig } from '../topology/config';
import { dnsLabel, withDefault } from './fields';

/**
 * The stack config, defined once. The TypeScript types, the defaults, the
 * validation and the committed JSON Schema (`config.schema.json`) all come from
 * the zod schema composed here, so they cannot drift apart. Each section is a
 * slice that lives with its owner: a component's in src/components/<name>/config.ts,
 * a platform section's in its folder (alerting/, catalog/, gitops/, topology/),
 * all built from the shared field types in ./fields.ts. Every default is
 * documented where it is defined, through `.describe()`; the JSON Schema
 * carries the text to editors.
 *
 * Every object is strict: an unknown key is an error, so a typo never passes
 * silently.
 */

export const StackConfigSchema = z
  .strictObject({
    extends: z
      .string()
      .optional()
      .describe(
        'A shared YAML file, relative to this one (like "./shared/catalogue.yaml"), whose settings this file starts from: ' +
          'mappings are merged key by key with this file winning, a list (such as services) is replaced whole. ' +
          'The shared file may extend another. Default: none.',
      ),
    environment: dnsLabel('an environment name').describe(
      'Name of the environment; the manifests go to dist/<environment>/ and every object carries it. Required.',
    ),
    cluster: dnsLabel('a cluster name').describe('Name of the cluster, added as the `cluster` label to every series. Required.'),
    repository: z
      .strictObject({
        url: z.url({ error: 'expected the https URL of this repository' }).describe('The Git repository that holds this project.'),
        revision: withDefault(z.string().min(1), 'main', 'Branch or tag that environments follow.'),
      })
      .describe('This project\'s own repository, for runbook links and GitOps.'),
    namespaces: z
      .strictObject({
        monitoring: withDefault(
          dnsLabel('a namespace name'),
          'monitoring',
          'Namespace of the backends and Grafana; enforces the restricted Pod Security level.',
        ),
        nodeAgents: withDefault(
          dnsLabel('a namespace name'),
          'monitoring-agents',
          'Namespace of the node agents that need host access (node-exporter, log agent, GPU exporter); ' +
            'kept apart so the main namespace can stay restricted.',
        ),
      })
      .prefault({})
      .describe("The stack's own namespaces. Give each environment its own when environments share a cluster."),
    prometheus: prometheusConfig,
    kubeStateMetrics: kubeStateMetricsConfig,
    nodeExporter: nodeExporterConfig,
    grafana: grafanaConfig,
    alerting: alertingConfig,
    gitops: gitopsConfig,
    gpu: gpuConfig,
    slo: sloConfig,
    services: servicesConfig,
    traces: jaegerConfig,
    otelCollector: otelCollectorConfig,
    logs: logsConfig,
    postgres: postgresConfig,
    rabbitmq: rabbitmqConfig,
    extraAlertRules: extraAlertRulesConfig,
    metrics: metricsConfig,
    topology: topologyConfig,
  })
  .describe('One environment of the observability platform.');

/** The config as written in a file (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
/** The config with every default applied: what the Stack receives. */
export type StackConfig = z.output<typeof StackConfigSchema>;
export type { AlertingConfig } from '../alerting/config';
export type { ServiceConfig, SloTargets } from '../catalog/config';
export type { GpuConfig } from '../components/gpu/config';
export type { LogsConfig } from '../components/loki/config';
export type { MetricsConfig } from '../components/victoriametrics/config';
export type { TopologyConfig } from '../topology/config';
export type { ResourcesConfig } from './fields';
