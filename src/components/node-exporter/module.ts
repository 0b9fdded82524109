import type { NodeExporterConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { NodeExporter } from './node-exporter';

export const nodeExporterModule: ComponentModule<{ readonly nodeExporter: NodeExporterConfig }> = {
  name: 'node-exporter',
  build(ctx, config) {
    const ns = ctx.namespaces.nodeAgents;
    const exporter = new NodeExporter(ctx.chart('node-exporter', ns, SyncWave.COLLECTORS), 'node-exporter', {
      namespace: ns,
      priorityClassName: ctx.nodeAgentPriorityClass,
      port: config.nodeExporter.port,
      resources: config.nodeExporter.resources,
    });
    return { scrapeJobs: [exporter.scrapeJob] };
  },
};
