import type { LogsConfig } from '../loki/config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { LogAgent } from './log-agent';
import { logAgentRules } from './rules';

/** The node log agent (Promtail or Alloy, per logs.agent), pushing every pod's lines to Loki. */
export const logAgentModule: ComponentModule<{ readonly logs: LogsConfig }> = {
  name: 'log-agent',
  rules: () => [logAgentRules()],
  build(ctx, config) {
    const logs = config.logs;
    const ns = ctx.namespaces.nodeAgents;
    const agent = new LogAgent(ctx.chart('log-agent', ns, SyncWave.COLLECTORS), 'log-agent', {
      namespace: ns,
      clusterScopedPrefix: ctx.clusterScopedPrefix,
      priorityClassName: ctx.nodeAgentPriorityClass,
      agent: logs.agent,
      pushUrl: ctx.links.lokiPushUrl,
      tenantId: ctx.links.lokiTenant,
      postgresApps: logs.postgresApps,
      resources: logs.agentResources,
    });
    return { scrapeJobs: [agent.scrapeJob], ruleGroups: [logAgentRules()] };
  },
};
