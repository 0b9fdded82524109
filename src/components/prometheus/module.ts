import type { PrometheusConfig } from './config';
import { BuildContext, SyncWave } from '../../kit/module';
import { MetricsBackend, MetricsBackendInput } from '../../kit/metrics-backend';
import { Prometheus } from './prometheus';

/** The default metrics backend: one Prometheus scrapes every job, stores, evaluates the rules and receives remote writes. */
export function prometheusBackend(ctx: BuildContext, config: { readonly prometheus: PrometheusConfig }, input: MetricsBackendInput): MetricsBackend {
  const ns = ctx.namespaces.monitoring;
  const p = config.prometheus;
  const prometheus = new Prometheus(ctx.chart('prometheus', ns, SyncWave.BACKENDS), 'prometheus', {
    namespace: ns,
    clusterScopedPrefix: ctx.clusterScopedPrefix,
    scrapeInterval: ctx.scrapeInterval,
    evaluationInterval: ctx.evaluationInterval,
    retention: p.retention,
    retentionSize: p.retentionSize,
    storageSize: p.storage.size,
    storageClassName: p.storage.storageClassName,
    resources: p.resources,
    externalLabels: { cluster: ctx.cluster, environment: ctx.environment },
    extraScrapeJobs: input.scrapeJobs,
    ruleGroups: input.ruleGroups,
    alertmanagers: input.alertmanagers,
    // The collector (and, on a central cluster, the agents) remote-write, with exemplars that link to traces.
    enableRemoteWriteReceiver: true,
    enableExemplarStorage: true,
  });
  return { queryUrl: prometheus.url, scraper: 'prometheus', scrapeJobs: input.scrapeJobs, flows: [] };
}
