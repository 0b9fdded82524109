import type { PrometheusConfig } from '../prometheus/config';
import type { MetricsConfig } from './config';
import { FlowSource, urlFlow } from '../../kit/flows';
import { MetricsBackend, MetricsBackendInput } from '../../kit/metrics-backend';
import { BuildContext, SyncWave } from '../../kit/module';
import type { ScrapeJob } from '../../lib/scrape';
import { VictoriaMetrics, VictoriaMetricsCluster, VictoriaMetricsStore } from './victoriametrics';
import { VmAgent } from './vmagent';
import { VmAlert } from './vmalert';

type Sections = { readonly prometheus: PrometheusConfig; readonly metrics: MetricsConfig };

/** vmagent scrapes every job and remote-writes to `remoteWriteUrl` with the cluster's external labels. */
function vmAgent(ctx: BuildContext, config: Sections, remoteWriteUrl: string, jobs: readonly ScrapeJob[]): void {
  const ns = ctx.namespaces.monitoring;
  new VmAgent(ctx.chart('vmagent', ns, SyncWave.COLLECTORS), 'vmagent', {
    namespace: ns,
    clusterScopedPrefix: ctx.clusterScopedPrefix,
    scrapeInterval: ctx.scrapeInterval,
    externalLabels: { cluster: ctx.cluster, environment: ctx.environment },
    extraScrapeJobs: [...jobs],
    remoteWriteUrl,
    storageClassName: config.prometheus.storage.storageClassName,
  });
}

/**
 * An agent cluster's metrics: only vmagent, remote-writing every job to the
 * central store. The remote end is outside the cluster: egress is not
 * restricted, so no flow is needed.
 */
export function agentMetrics(ctx: BuildContext, config: Sections, scrapeJobs: readonly ScrapeJob[]): MetricsBackend {
  vmAgent(ctx, config, ctx.links.metricsWriteUrl, scrapeJobs);
  return { queryUrl: undefined, scraper: 'vmagent', scrapeJobs, flows: [] };
}

/**
 * vmagent + VictoriaMetrics (single node or cluster, per metrics.backend) +
 * vmalert, running the same scrape jobs and rule files as Prometheus would.
 */
export function victoriaMetricsBackend(ctx: BuildContext, config: Sections, input: MetricsBackendInput): MetricsBackend {
  const ns = ctx.namespaces.monitoring;
  const vm = config.metrics.victoriaMetrics;
  // The store is a backend; vmalert reads it and vmagent writes to it, so both come after.
  const storeChart = ctx.chart('victoriametrics', ns, SyncWave.BACKENDS);
  const store: VictoriaMetricsStore =
    config.metrics.backend === 'victoriametrics'
      ? new VictoriaMetrics(storeChart, 'victoriametrics', {
          namespace: ns,
          retention: vm.retention,
          storageSize: vm.storage.size,
          storageClassName: vm.storage.storageClassName,
          resources: vm.resources,
        })
      : new VictoriaMetricsCluster(storeChart, 'victoriametrics', {
          namespace: ns,
          retention: vm.retention,
          storageSize: vm.storage.size,
          storageClassName: vm.storage.storageClassName,
          resources: vm.resources,
          replicationFactor: vm.replicationFactor,
          vmstorageReplicas: vm.vmstorage,
          vminsertReplicas: vm.vminsert,
          vmselectReplicas: vm.vmselect,
        });
  // alerting.engine "grafana" leaves vmalert the recording rules only, and no Alertmanager to notify.
  const alertmanagerUrl = input.alertmanagers.length > 0 ? `http://${input.alertmanagers[0]}` : undefined;
  const vmalert = new VmAlert(ctx.chart('vmalert', ns, SyncWave.COLLECTORS), 'vmalert', {
    namespace: ns,
    ruleGroups: input.ruleGroups,
    datasourceUrl: store.queryUrl,
    remoteWriteUrl: store.vmalertWriteUrl,
    alertmanagerUrl,
    evaluationInterval: ctx.evaluationInterval,
    externalLabels: { cluster: ctx.cluster, environment: ctx.environment },
  });
  const jobs = [...input.scrapeJobs, ...store.scrapeJobs, vmalert.scrapeJob];
  vmAgent(ctx, config, store.writeUrl, jobs);
  const pods = (app: string): FlowSource => ({ pods: { namespace: ns, app } });
  return {
    queryUrl: store.queryUrl,
    scraper: 'vmagent',
    scrapeJobs: jobs,
    flows: [
      urlFlow(pods('vmagent'), store.writeUrl, 'vmagent remote-writes every scraped series'),
      urlFlow(pods('vmalert'), store.queryUrl, 'vmalert evaluates rules and restores alert state'),
      urlFlow(pods('vmalert'), store.vmalertWriteUrl, 'vmalert writes recording rules and alert state'),
    ],
  };
}
