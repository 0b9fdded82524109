import { eventExporterRules } from '../components/event-exporter/rules';
import { gpuRules } from '../components/gpu/rules';
import { logAgentRules } from '../components/log-agent/rules';
import { lokiRules } from '../components/loki/rules';
import { telemetryPipelineRules } from '../components/otel-collector/rules';
import { postgresRules } from '../components/postgres/rules';
import { rabbitmqRules } from '../components/rabbitmq/rules';
import { selfMonitoringRules } from '../components/prometheus/rules';
import type { StackConfig } from '../config/schema';
import { platformRuleGroups } from './platform-rules';
import { RuleGroupSpec } from '../kit/rule-model';

/** The namespaces PodNotReady watches: every catalogue service's and the stack's own. */
export function watchedNamespaces(config: StackConfig): string[] {
  return [...new Set([...config.services.map((s) => s.namespace), config.namespaces.monitoring, config.namespaces.nodeAgents])];
}

/** The platform-level groups of an environment (the component groups come from the components). */
export function platformGroups(config: StackConfig): RuleGroupSpec[] {
  return platformRuleGroups({ services: config.services, slo: config.slo, namespaces: watchedNamespaces(config) });
}

/**
 * Every rule group the stack can render for this config, whether or not the
 * component that owns it is switched on: the names `alerting.rules` may use.
 * An override for the GPU alerts in an environment without GPUs is therefore
 * allowed (and does nothing), while a misspelt name is an error.
 */
export function everyRuleGroup(config: StackConfig): RuleGroupSpec[] {
  return [
    selfMonitoringRules(),
    gpuRules({
      exporter: config.gpu.exporter,
      aiService: config.gpu.aiService,
      temperatureCelsius: config.gpu.thresholds.temperatureCelsius,
      memoryUsedRatio: config.gpu.thresholds.memoryUsedRatio,
    }),
    telemetryPipelineRules(),
    lokiRules(),
    logAgentRules(),
    eventExporterRules(),
    ...postgresRules({ slowStatementThresholdMs: config.postgres?.slowStatementThresholdMs ?? 500 }),
    rabbitmqRules({ deadLetterQueues: config.rabbitmq?.deadLetterQueues }),
    ...platformRuleGroups({
      services: config.services,
      slo: config.slo,
      namespaces: watchedNamespaces(config),
    }),
  ];
}
