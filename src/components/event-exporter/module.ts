import type { StackConfig } from '../../config/schema';
import { ComponentModule, SyncWave } from '../../kit/module';
import { EventExporter } from './event-exporter';
import { eventExporterRules } from './rules';

/** The Kubernetes event exporter: Warning events to Loki, when logs.eventExporter.enabled. */
export const eventExporterModule: ComponentModule<Pick<StackConfig, 'logs'>> = {
  name: 'event-exporter',
  rules: () => [eventExporterRules()],
  build(ctx, config) {
    const settings = config.logs.eventExporter;
    if (!settings.enabled) return {};
    const ns = ctx.namespaces.monitoring;
    const exporter = new EventExporter(ctx.chart('kube-event-exporter', ns, SyncWave.COLLECTORS), 'kube-event-exporter', {
      namespace: ns,
      clusterScopedPrefix: ctx.clusterScopedPrefix,
      lokiPushUrl: ctx.links.lokiPushUrl,
      lokiTenant: ctx.links.lokiTenant,
      replicas: settings.replicas,
      resources: settings.resources,
    });
    return { scrapeJobs: [exporter.scrapeJob], ruleGroups: [eventExporterRules()] };
  },
};
