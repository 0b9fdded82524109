import type { KubeStateMetricsConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { KubeStateMetrics } from './kube-state-metrics';

export const kubeStateMetricsModule: ComponentModule<{ readonly kubeStateMetrics: KubeStateMetricsConfig }> = {
  name: 'kube-state-metrics',
  build(ctx, config) {
    const ns = ctx.namespaces.monitoring;
    const ksm = new KubeStateMetrics(ctx.chart('kube-state-metrics', ns, SyncWave.COLLECTORS), 'kube-state-metrics', {
      namespace: ns,
      clusterScopedPrefix: ctx.clusterScopedPrefix,
      resources: config.kubeStateMetrics.resources,
    });
    return { scrapeJobs: [ksm.scrapeJob] };
  },
};
