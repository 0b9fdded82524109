import type { OtelCollectorConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { otelCollectorDashboard } from './dashboard';
import { OtelCollector } from './otel-collector';
import { otelCollectorRules } from './rules';

/**
 * The OpenTelemetry Collector gateway (and, when configured, its node agent and
 * tail-sampling tier): OTLP in from the services, metrics to the metrics store,
 * logs to Loki's OTLP endpoint, traces to Jaeger or the central collector.
 */
export const otelCollectorModule: ComponentModule<{ readonly otelCollector: OtelCollectorConfig }> = {
  name: 'otel-collector',
  rules: () => [otelCollectorRules()],
  build(ctx, config) {
    const ns = ctx.namespaces;
    const links = ctx.links;
    const c = config.otelCollector;
    const sampling = c.tailSampling;
    const collector = new OtelCollector(ctx.chart('otel-collector', ns.monitoring, SyncWave.COLLECTORS), 'otel-collector', {
      namespace: ns.monitoring,
      clusterScopedPrefix: ctx.clusterScopedPrefix,
      environment: ctx.environment,
      metricsRemoteWriteUrl: links.metricsWriteUrl,
      lokiOtlpUrl: links.lokiOtlpUrl,
      lokiTenant: links.lokiTenant,
      jaegerOtlpEndpoint: links.jaegerOtlpEndpoint,
      tracesOtlpHttpUrl: links.centralOtlpUrl,
      // Only series leaving for a central store need the cluster label here: local ones get it from the store's readers.
      metricsExternalLabels: links.runsBackends ? undefined : { cluster: ctx.cluster },
      clusterName: links.runsBackends ? undefined : ctx.cluster,
      receivesAgentClusters: links.role === 'central',
      queueStorageSize: c.queueStorage.size,
      queueStorageClassName: c.queueStorage.storageClassName,
      resources: c.resources,
      replicas: c.replicas,
      tailSampling: sampling
        ? {
            replicas: sampling.replicas,
            decisionWait: sampling.decisionWait,
            keepPercentage: sampling.keepPercentage,
            // A trace slower than the latency SLO is exactly the one someone will look for.
            slowThresholdMs: ctx.slowTraceThresholdMs,
            resources: sampling.resources,
          }
        : undefined,
      agent: c.agent.enabled
        ? { namespace: ns.nodeAgents, priorityClassName: ctx.nodeAgentPriorityClass, resources: c.agent.resources }
        : undefined,
    });
    return { scrapeJobs: collector.scrapeJobs, ruleGroups: [otelCollectorRules()], dashboards: [otelCollectorDashboard()] };
  },
};
