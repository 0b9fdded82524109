import { COMPONENT_MODULES } from '../components/modules';
import { prometheusRules } from '../components/prometheus/rules';
import { victoriaMetricsRules } from '../components/victoriametrics/rules';
import { stackSelfMonitoringRules } from './self-monitoring';
import { SERVICE_DEPENDENCIES, servicesConfig, type ServiceConfig, type SloTargets } from '../catalog/config';
import type { ComponentsConfig } from '../components/modules';
import { platformRuleGroups } from './platform-rules';
import { RuleGroupSpec } from '../kit/rule-model';

/** The config sections the alert catalogue reads. */
type Sections = {
  readonly services: readonly ServiceConfig[];
  readonly slo: SloTargets;
  readonly namespaces: { readonly monitoring: string; readonly nodeAgents: string };
};

/** The namespaces PodNotReady watches: every catalogue service's and the stack's own. */
export function watchedNamespaces(config: Sections): string[] {
  return [...new Set([...config.services.map((s) => s.namespace), config.namespaces.monitoring, config.namespaces.nodeAgents])];
}

/** The platform-level groups of an environment (the component groups come from the components). */
export function platformGroups(config: Sections): RuleGroupSpec[] {
  return platformRuleGroups({ services: config.services, slo: config.slo, namespaces: watchedNamespaces(config) });
}

/**
 * Every rule group the stack can render for this config, whether or not the
 * component that owns it is switched on, and whether or not a catalogue service
 * declares what its pack watches: the names `alerting.rules` and channels may use.
 * An override for the GPU alerts in an environment without GPUs, or for
 * KafkaConsumerLagHigh without Kafka consumers, is therefore allowed (and does
 * nothing), while a misspelt name is an error.
 */
/**
 * A catalogue service that declares every signal a pack watches: beside the real catalogue, it makes every
 * pack's alert a known name, so an override or a channel naming an alert of an undeclared pack is allowed
 * (and does nothing), as for a component switched off; removing a declaration never breaks the config.
 */
const DECLARES_EVERY_SIGNAL: ServiceConfig = servicesConfig.parse([
  {
    name: 'declares-every-signal',
    namespace: 'declares-every-signal',
    stack: 'go',
    httpVocabulary: 'opentelemetry-ms',
    dependencies: Object.keys(SERVICE_DEPENDENCIES),
    kafkaConsumers: [{ groupId: 'group', topics: ['topic'] }],
    signals: { circuitBreaker: true, heartbeat: { metric: 'last_heartbeat_timestamp_seconds', maxAgeSeconds: 60 } },
    saga: true,
    webhookEvents: true,
  },
])[0];

export function everyRuleGroup(config: Sections & ComponentsConfig): RuleGroupSpec[] {
  // Every backend's groups (the cluster's include the single node's), so an override survives a change of backend.
  return [
    stackSelfMonitoringRules(),
    prometheusRules(),
    ...victoriaMetricsRules('victoriametrics-cluster'),
    ...COMPONENT_MODULES.flatMap((m) => m.rules?.(config) ?? []),
    ...platformGroups({ ...config, services: [...config.services, DECLARES_EVERY_SIGNAL] }),
  ];
}
