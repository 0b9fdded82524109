import type { JaegerConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { jaegerDatasource } from '../grafana/correlation';
import { Jaeger } from './jaeger';

/** Jaeger v2 and its Grafana datasource. An agent cluster keeps no traces: its gateway ships them to the central collector. */
export const jaegerModule: ComponentModule<{ readonly traces: JaegerConfig }> = {
  name: 'jaeger',
  build(ctx, config) {
    if (!ctx.links.runsBackends) return {};
    const traces = config.traces;
    const ns = ctx.namespaces.monitoring;
    const jaeger = new Jaeger(ctx.chart('jaeger', ns, SyncWave.BACKENDS), 'jaeger', {
      namespace: ns,
      storage: traces.storage,
      retention: traces.retention,
      maxTraces: traces.maxTraces,
      storageSize: traces.volume.size,
      storageClassName: traces.volume.storageClassName,
      searchStore: traces.searchStore,
      resources: traces.resources,
    });
    return { scrapeJobs: [jaeger.scrapeJob], datasources: [jaegerDatasource(jaeger.queryUrl)] };
  },
};
