import type { PostgresConfig } from '../postgres/config';
import type { LogsConfig } from './config';
import { renderRuleGroup, ruleFileYaml } from '../../kit/rule-model';
import { ComponentModule, SyncWave } from '../../kit/module';
import { lokiDatasource } from '../grafana/correlation';
import { autoExplainLokiRules } from '../postgres/rules';
import { lokiDashboard } from './dashboard';
import { Loki } from './loki';
import { LokiHa } from './loki-ha';
import { lokiRules } from './rules';

/**
 * Loki (single binary, or HA per logs.backend) with its ruler's recording
 * rules, and the Grafana datasource that links log lines to traces. An agent
 * cluster runs no Loki: its agent and event exporter push to the central one
 * under the cluster's tenant.
 */
export const lokiModule: ComponentModule<{ readonly logs: LogsConfig; readonly postgres?: PostgresConfig }> = {
  name: 'loki',
  rules: () => [lokiRules()],
  build(ctx, config) {
    const links = ctx.links;
    if (!links.runsBackends) return {};
    const logs = config.logs;
    const ns = ctx.namespaces.monitoring;
    // LogQL recording rules for Loki's ruler, remote-written to the metrics store (the auto_explain plan count).
    // An agent has no Loki: the central cluster's config carries the rule for its own database.
    const recordingRules = config.postgres
      ? [renderRuleGroup(autoExplainLokiRules({ namespace: config.postgres.namespace, app: config.postgres.name }), { runbookBaseUrl: ctx.runbookBaseUrl })]
      : [];
    // Central: Loki is multi-tenant and this cluster's own logs (and its recording rules) are its own tenant.
    const tenant = links.role === 'central' ? links.lokiTenant : undefined;
    const ruler = { recordingRules, rulerRemoteWriteUrl: links.metricsWriteUrl };
    const chart = ctx.chart('loki', ns, SyncWave.BACKENDS);
    const loki =
      logs.backend === 'loki-ha'
        ? new LokiHa(chart, 'loki', {
            namespace: ns,
            replicas: logs.ha.replicas,
            objectStore: logs.ha.objectStore!,
            retention: logs.retention,
            ingestion: logs.ingestion,
            walStorageSize: logs.storage.size,
            storageClassName: logs.storage.storageClassName,
            resources: logs.ha.resources,
            tenant,
            ...ruler,
          })
        : new Loki(chart, 'loki', {
            namespace: ns,
            retention: logs.retention,
            ingestion: logs.ingestion,
            storageSize: logs.storage.size,
            storageClassName: logs.storage.storageClassName,
            resources: logs.resources,
            tenant,
            ...ruler,
          });
    // The Loki datasource carries the derived fields that turn a trace id into a Jaeger link.
    const datasource = lokiDatasource(loki.url);
    return {
      scrapeJobs: [loki.scrapeJob],
      ruleGroups: [lokiRules()],
      dashboards: [lokiDashboard()],
      datasources: [
        links.grafanaLokiTenants.length === 0
          ? datasource
          : {
              ...datasource,
              // A multi-tenant query (`own|agent-a|agent-b`) shows every cluster's logs in one datasource.
              jsonData: { ...datasource.jsonData, httpHeaderName1: 'X-Scope-OrgID' },
              secureJsonData: { httpHeaderValue1: links.grafanaLokiTenants.join('|') },
            },
      ],
      files: new Map(recordingRules.map((group) => [`loki-rules/${group.name}.yaml`, ruleFileYaml([group])])),
    };
  },
};
