import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import * as ts from 'typescript';
import { configJsonSchema } from '../src/config/json-schema';
import { StackConfigSchema } from '../src/config/schema';
import { ALERTMANAGER_DEFAULTS } from '../src/components/alertmanager/alertmanager';
import { EVENT_EXPORTER_DEFAULTS } from '../src/components/event-exporter/event-exporter';
import { GPU_EXPORTER_DEFAULTS } from '../src/components/gpu/gpu-exporter';
import { DEFAULT_GPU_NODE_SELECTOR, DEFAULT_GPU_RUNTIME_CLASS } from '../src/components/gpu/request-gpu';
import { GRAFANA_DEFAULTS } from '../src/components/grafana/grafana';
import { JAEGER_DEFAULTS } from '../src/components/jaeger/jaeger';
import { LOG_AGENT_DEFAULTS } from '../src/components/log-agent/log-agent';
import { DEFAULT_INGESTION_LIMITS, LOKI_DEFAULTS } from '../src/components/loki/loki';
import { LOKI_HA_DEFAULTS } from '../src/components/loki/loki-ha';
import { NODE_EXPORTER_DEFAULTS } from '../src/components/node-exporter/node-exporter';
import { OTEL_COLLECTOR_DEFAULTS } from '../src/components/otel-collector/otel-collector';
import { TOP_STATEMENTS } from '../src/components/postgres/exporter';
import { DEFAULT_SLOW_STATEMENT_THRESHOLD_MS } from '../src/components/postgres/settings';
import { SHARED_POSTGRES_DEFAULTS } from '../src/components/postgres/shared-postgres';
import { PROMETHEUS_DEFAULTS } from '../src/components/prometheus/prometheus';
import { VICTORIA_METRICS_DEFAULTS } from '../src/components/victoriametrics/victoriametrics';
import { VMAGENT_DEFAULTS } from '../src/components/victoriametrics/vmagent';
import { VMALERT_DEFAULTS } from '../src/components/victoriametrics/vmalert';

/**
 * A default is decided once. The components document theirs (`@default` in the props' JSDoc) and fall back
 * to their `*_DEFAULTS`; the config schema sets its own default and says it in the field's description
 * ("Default: X."). The Stack passes the config's value, so a component default that differs from the
 * config's only bites a library user, silently. This test holds the four to one value.
 *
 * The config slices now read the components' constants and make the "Default: X." sentence from them
 * (withDefault in src/config/fields.ts), so for those fields the fallback and the description agree with
 * the config by construction: those checks stay to catch a slice that goes back to a literal or a
 * hand-written sentence. The `@default` text is still written by hand, and is what can drift today.
 */

const COMPONENTS = path.join(__dirname, '..', 'src', 'components');

/** A prop the Stack fills from a config field: the field's path in the config, and the construct's own fallback. */
interface FromConfig {
  readonly path: string;
  /** What the construct falls back to when the prop is unset (its `*_DEFAULTS` entry or constant). */
  readonly fallback?: unknown;
  /** A default that differs from the config's and cannot be aligned yet; the test checks it still differs. */
  readonly knownMismatch?: string;
}

const RESOURCES_NOT_CONFIGURABLE = 'not configurable: the component sizes it';
const FROM_TOPOLOGY = 'derived from topology (the Loki tenant of an agent or central cluster), not a field of its own';

/** Every prop with a `@default` that the Stack fills from the config, by `Interface.prop`. */
const FROM_CONFIG: Record<string, FromConfig> = {
  'AlertmanagerProps.retention': { path: 'alerting.alertmanager.retention', fallback: ALERTMANAGER_DEFAULTS.retention },
  'AlertmanagerProps.storageSize': { path: 'alerting.alertmanager.storage.size', fallback: ALERTMANAGER_DEFAULTS.storageSize },
  'AlertmanagerProps.resources': { path: 'alerting.alertmanager.resources' },
  'RoutingOptions.channels': { path: 'alerting.channels' },
  'NotificationChannel.pagerdutySource': { path: 'alerting.channels.pagerdutySource' },
  'RoutingOptions.teams': { path: 'alerting.teams' },
  'RoutingOptions.timeIntervals': { path: 'alerting.timeIntervals' },
  'TeamSeverityRoute.muteTimeIntervals': { path: 'alerting.teams.critical.muteTimeIntervals' },
  'TeamSeverityRoute.activeTimeIntervals': { path: 'alerting.teams.critical.activeTimeIntervals' },

  'EventExporterProps.replicas': { path: 'logs.eventExporter.replicas', fallback: EVENT_EXPORTER_DEFAULTS.replicas },
  'EventExporterProps.resources': { path: 'logs.eventExporter.resources' },

  'NvidiaDevicePluginProps.runtimeClassName': { path: 'gpu.runtimeClassName', fallback: DEFAULT_GPU_RUNTIME_CLASS },
  'NvidiaDevicePluginProps.timeSlicingReplicas': { path: 'gpu.timeSlicing' },
  'GpuExporterProps.exporter': { path: 'gpu.exporter', fallback: GPU_EXPORTER_DEFAULTS.exporter },
  'GpuExporterProps.runtimeClassName': { path: 'gpu.runtimeClassName', fallback: DEFAULT_GPU_RUNTIME_CLASS },
  'GpuExporterProps.requestGpu': { path: 'gpu.exporterRequestsGpu', fallback: GPU_EXPORTER_DEFAULTS.requestGpu },
  'GpuExporterProps.timeSlicingReplicas': { path: 'gpu.timeSlicing' },
  // requestGpu() is for the user's own workloads: they must land where the config's GPU agents run.
  'RequestGpuOptions.nodeSelector': { path: 'gpu.nodeSelector', fallback: DEFAULT_GPU_NODE_SELECTOR },
  'RequestGpuOptions.runtimeClassName': { path: 'gpu.runtimeClassName', fallback: DEFAULT_GPU_RUNTIME_CLASS },

  'GrafanaProps.anonymousViewer': { path: 'grafana.anonymousViewer', fallback: GRAFANA_DEFAULTS.anonymousViewer },
  'GrafanaProps.storageSize': { path: 'grafana.storage.size', fallback: GRAFANA_DEFAULTS.storageSize },
  'GrafanaProps.resources': { path: 'grafana.resources' },
  'GrafanaProps.ingress': { path: 'grafana.ingress' },
  'GrafanaIngress.className': { path: 'grafana.ingress.className' },
  'GrafanaIngress.tlsSecretName': { path: 'grafana.ingress.tlsSecretName' },
  'GrafanaIngress.annotations': { path: 'grafana.ingress.annotations' },

  'SearchStore.indexPrefix': { path: 'traces.searchStore.indexPrefix', fallback: JAEGER_DEFAULTS.searchStore.indexPrefix },
  'SearchStore.credentials': { path: 'traces.searchStore.credentials' },
  'SearchStore.replicas': { path: 'traces.searchStore.replicas', fallback: JAEGER_DEFAULTS.searchStore.replicas },
  'JaegerProps.storage': { path: 'traces.storage', fallback: JAEGER_DEFAULTS.storage },
  'JaegerProps.retention': { path: 'traces.retention', fallback: JAEGER_DEFAULTS.retention },
  'JaegerProps.maxTraces': { path: 'traces.maxTraces', fallback: JAEGER_DEFAULTS.maxTraces },
  'JaegerProps.storageSize': { path: 'traces.volume.size', fallback: JAEGER_DEFAULTS.storageSize },
  'JaegerProps.storageClassName': { path: 'traces.volume.storageClassName' },
  'JaegerProps.resources': { path: 'traces.resources' },

  'KubeStateMetricsProps.resources': { path: 'kubeStateMetrics.resources' },

  'LogAgentProps.agent': { path: 'logs.agent', fallback: LOG_AGENT_DEFAULTS.agent },
  'LogAgentProps.postgresApps': { path: 'logs.postgresApps', fallback: LOG_AGENT_DEFAULTS.postgresApps },
  'LogAgentProps.resources': { path: 'logs.agentResources' },

  'LokiProps.retention': { path: 'logs.retention', fallback: LOKI_DEFAULTS.retention },
  'LokiProps.ingestion': { path: 'logs.ingestion', fallback: DEFAULT_INGESTION_LIMITS },
  'LokiProps.storageSize': { path: 'logs.storage.size', fallback: LOKI_DEFAULTS.storageSize },
  'LokiProps.storageClassName': { path: 'logs.storage.storageClassName' },
  'LokiProps.resources': { path: 'logs.resources' },
  'LokiHaProps.replicas': { path: 'logs.ha.replicas', fallback: LOKI_HA_DEFAULTS.replicas },
  'LokiHaProps.retention': { path: 'logs.retention', fallback: LOKI_HA_DEFAULTS.retention },
  'LokiHaProps.ingestion': { path: 'logs.ingestion', fallback: DEFAULT_INGESTION_LIMITS },
  'LokiHaProps.walStorageSize': { path: 'logs.storage.size', fallback: LOKI_HA_DEFAULTS.walStorageSize },
  'LokiHaProps.storageClassName': { path: 'logs.storage.storageClassName' },
  'LokiHaProps.resources': { path: 'logs.ha.resources' },

  'NodeExporterProps.port': { path: 'nodeExporter.port', fallback: NODE_EXPORTER_DEFAULTS.port },
  'NodeExporterProps.resources': { path: 'nodeExporter.resources' },

  'OtelCollectorProps.queueStorageSize': { path: 'otelCollector.queueStorage.size', fallback: OTEL_COLLECTOR_DEFAULTS.queueStorageSize },
  'OtelCollectorProps.queueStorageClassName': { path: 'otelCollector.queueStorage.storageClassName' },
  'OtelCollectorProps.resources': { path: 'otelCollector.resources' },
  'OtelCollectorProps.replicas': { path: 'otelCollector.replicas', fallback: OTEL_COLLECTOR_DEFAULTS.replicas },
  'OtelCollectorProps.tailSampling': { path: 'otelCollector.tailSampling' },
  'OtelCollectorProps.tailSampling.resources': { path: 'otelCollector.tailSampling.resources' },
  'OtelCollectorProps.agent.resources': { path: 'otelCollector.agent.resources' },

  'ExporterArgsOptions.topStatements': { path: 'postgres.topStatements', fallback: TOP_STATEMENTS },
  'ObservablePostgresProps.databases': { path: 'postgres.databases' },
  'ObservablePostgresProps.topStatements': { path: 'postgres.topStatements', fallback: TOP_STATEMENTS },
  'ObservablePostgresProps.exporterResources': { path: 'postgres.exporterResources' },
  'PostgresRulesOptions.slowStatementThresholdMs': { path: 'postgres.slowStatementThresholdMs', fallback: DEFAULT_SLOW_STATEMENT_THRESHOLD_MS },
  'ServerSettingsOptions.slowStatementThresholdMs': { path: 'postgres.slowStatementThresholdMs', fallback: DEFAULT_SLOW_STATEMENT_THRESHOLD_MS },
  'ServerSettingsOptions.logAnalyze': { path: 'postgres.logAnalyze' },
  'SharedPostgresProps.name': { path: 'postgres.name', fallback: SHARED_POSTGRES_DEFAULTS.name },
  'SharedPostgresProps.storageSize': { path: 'postgres.storage.size', fallback: SHARED_POSTGRES_DEFAULTS.storageSize },
  'SharedPostgresProps.resources': { path: 'postgres.resources' },

  'PrometheusProps.scrapeInterval': { path: 'metrics.scrapeInterval', fallback: PROMETHEUS_DEFAULTS.scrapeInterval },
  'PrometheusProps.evaluationInterval': { path: 'metrics.evaluationInterval', fallback: PROMETHEUS_DEFAULTS.evaluationInterval },
  'PrometheusProps.retention': { path: 'prometheus.retention', fallback: PROMETHEUS_DEFAULTS.retention },
  'PrometheusProps.retentionSize': { path: 'prometheus.retentionSize', fallback: PROMETHEUS_DEFAULTS.retentionSize },
  'PrometheusProps.storageSize': { path: 'prometheus.storage.size', fallback: PROMETHEUS_DEFAULTS.storageSize },
  'PrometheusProps.storageClassName': { path: 'prometheus.storage.storageClassName' },
  'PrometheusProps.resources': { path: 'prometheus.resources' },

  'StorageProps.retention': { path: 'metrics.victoriaMetrics.retention', fallback: VICTORIA_METRICS_DEFAULTS.retention },
  'StorageProps.storageSize': { path: 'metrics.victoriaMetrics.storage.size', fallback: VICTORIA_METRICS_DEFAULTS.storageSize },
  'StorageProps.storageClassName': { path: 'metrics.victoriaMetrics.storage.storageClassName' },
  'StorageProps.resources': { path: 'metrics.victoriaMetrics.resources' },
  'VictoriaMetricsClusterProps.replicationFactor': {
    path: 'metrics.victoriaMetrics.replicationFactor',
    fallback: VICTORIA_METRICS_DEFAULTS.replicationFactor,
  },
  'VictoriaMetricsClusterProps.vmstorageReplicas': { path: 'metrics.victoriaMetrics.vmstorage', fallback: VICTORIA_METRICS_DEFAULTS.vmstorageReplicas },
  'VictoriaMetricsClusterProps.vminsertReplicas': { path: 'metrics.victoriaMetrics.vminsert', fallback: VICTORIA_METRICS_DEFAULTS.vminsertReplicas },
  'VictoriaMetricsClusterProps.vmselectReplicas': { path: 'metrics.victoriaMetrics.vmselect', fallback: VICTORIA_METRICS_DEFAULTS.vmselectReplicas },
  // vmagent and vmalert take Prometheus' scrape and evaluation settings: they run the same jobs and rules.
  'VmAgentProps.scrapeInterval': { path: 'metrics.scrapeInterval', fallback: VMAGENT_DEFAULTS.scrapeInterval },
  'VmAgentProps.storageClassName': { path: 'prometheus.storage.storageClassName' },
  'VmAlertProps.evaluationInterval': { path: 'metrics.evaluationInterval', fallback: VMALERT_DEFAULTS.evaluationInterval },
};

/** Every prop with a `@default` that no config field sets, and why. */
const NO_CONFIG_FIELD: Record<string, string> = {
  'EventExporterProps.lokiTenant': FROM_TOPOLOGY,
  'NvidiaDevicePluginProps.resources': RESOURCES_NOT_CONFIGURABLE,
  'GpuExporterProps.resources': RESOURCES_NOT_CONFIGURABLE,
  'RequestGpuOptions.container': "a container of the user's own workload, chosen in code",
  'RequestGpuOptions.count': "GPUs for the user's own workload, chosen in code",
  'GrafanaProps.extraEnv': "derived: the environment that the datasources' Secret references need",
  'GrafanaProps.alerting': 'derived from alerting.engine',
  'GrafanaProps.alerting.env': 'derived: the SMTP server of alerting.receivers.email, when a channel sends email',
  'LogAgentProps.tenantId': FROM_TOPOLOGY,
  'AgentConfigOptions.tenantId': 'an option of the agent-config renderer, which the construct fills',
  'AgentConfigOptions.legacyPositionsFile': 'an option of the agent-config renderer, which the construct fills',
  'LokiProps.recordingRules': "derived: the LogQL rules of the components that need Loki's ruler",
  'LokiProps.tenant': FROM_TOPOLOGY,
  'LokiHaProps.recordingRules': "derived: the LogQL rules of the components that need Loki's ruler",
  'LokiHaProps.tenant': FROM_TOPOLOGY,
  'NamespacesProps.applicationNamespaces': 'derived from postgres.namespace',
  'GatewayConfigOptions.clusterName': 'derived from topology.role and cluster',
  'GatewayConfigOptions.lokiTenant': FROM_TOPOLOGY,
  'GatewayConfigOptions.metricsExternalLabels': 'derived from topology.role and cluster',
  'GatewayConfigOptions.receivesAgentClusters': 'derived from topology.role',
  'OtelCollectorProps.agent': 'set when otelCollector.agent.enabled is true (default false): unset is the same "no agent"',
  'ObservablePostgresProps.container': 'the StatefulSet given in code decides it',
  'ObservablePostgresProps.settings': 'built from postgres.slowStatementThresholdMs and logAnalyze, and the services\' Debezium dependency (see ServerSettingsOptions)',
  'ObservablePostgresProps.port': "the official image's port; the config has no port",
  'DatabaseUrlOptions.port': "the official image's port; the config has no port",
  'DatabaseUrlOptions.sslmode': 'a property of the server the URL is for, chosen in code',
  'ServerSettingsOptions.pgStatStatementsMax': "not configurable: pg_stat_statements' own default",
  'ServerSettingsOptions.logicalDecoding': 'derived: on when a catalogue service depends on Debezium (services[].dependencies or jmx.debezium)',
  'PrometheusProps.alertmanagers': 'derived: the Alertmanager deployed with alerting.engine "prometheus"',
  'PrometheusProps.enableRemoteWriteReceiver': 'the Stack always turns it on (the collector and agents remote-write)',
  'PrometheusProps.enableExemplarStorage': 'the Stack always turns it on (exemplars link metrics to traces)',
  'PrometheusConfigOptions.alertmanagers': 'an option of the prometheus.yml renderer, which the construct fills',
  'PrometheusConfigOptions.retention': 'an option of the prometheus.yml renderer, which the construct fills',
  'VictoriaMetricsClusterProps.statelessResources': RESOURCES_NOT_CONFIGURABLE,
  'VmAgentProps.bufferSize': 'not configurable: the remote-write buffer is sized by the component',
  'VmAgentProps.resources': RESOURCES_NOT_CONFIGURABLE,
  'VmAlertProps.alertmanagerUrl': 'derived: the Alertmanager deployed with alerting.engine "prometheus"',
  'VmAlertProps.resources': RESOURCES_NOT_CONFIGURABLE,
};

/**
 * The constant each construct falls back to for its CPU and memory, by prop: the config has no default for
 * these (the component sizes itself), so the `@default` text is held to the code instead. A path inside the
 * constant follows a dot.
 */
const RESOURCE_FALLBACKS: Record<string, string> = {
  'AlertmanagerProps.resources': 'DEFAULT_RESOURCES',
  'EventExporterProps.resources': 'DEFAULT_RESOURCES',
  'NvidiaDevicePluginProps.resources': 'DEFAULT_RESOURCES',
  'GpuExporterProps.resources': 'DEFAULT_RESOURCES.nvidia-smi',
  'GrafanaProps.resources': 'DEFAULT_RESOURCES',
  'JaegerProps.resources': 'DEFAULT_RESOURCES',
  'KubeStateMetricsProps.resources': 'DEFAULT_RESOURCES',
  'LogAgentProps.resources': 'DEFAULT_RESOURCES',
  'LokiProps.resources': 'LOKI_DEFAULT_RESOURCES',
  'LokiHaProps.resources': 'DEFAULT_RESOURCES',
  'NodeExporterProps.resources': 'DEFAULT_RESOURCES',
  'OtelCollectorProps.resources': 'DEFAULT_RESOURCES',
  'OtelCollectorProps.agent.resources': 'DEFAULT_AGENT_RESOURCES',
  'ObservablePostgresProps.exporterResources': 'DEFAULT_EXPORTER_RESOURCES',
  'SharedPostgresProps.resources': 'DEFAULT_RESOURCES',
  'PrometheusProps.resources': 'DEFAULT_RESOURCES',
  'StorageProps.resources': 'DEFAULT_STORAGE_RESOURCES',
  'VictoriaMetricsClusterProps.statelessResources': 'DEFAULT_STATELESS_RESOURCES',
  'VmAgentProps.resources': 'DEFAULT_RESOURCES',
  'VmAlertProps.resources': 'DEFAULT_RESOURCES',
};

// ---- reading the props' @default -------------------------------------------------------------

interface PropDefault {
  /** `Interface.prop`, or `Interface.prop.nested` for a prop of an inline object type. */
  readonly id: string;
  readonly file: string;
  readonly text: string;
}

/** Every property with a `@default` tag in an interface under src/components/<name>/ (tests left out). */
function componentPropDefaults(): PropDefault[] {
  const found: PropDefault[] = [];
  for (const dir of fs.readdirSync(COMPONENTS)) {
    const folder = path.join(COMPONENTS, dir);
    if (!fs.statSync(folder).isDirectory()) continue;
    for (const name of fs.readdirSync(folder)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const file = path.join(folder, name);
      const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const members = (list: ts.NodeArray<ts.TypeElement>, prefix: string) => {
        for (const member of list) {
          if (!ts.isPropertySignature(member)) continue;
          const id = `${prefix}.${member.name.getText(source)}`;
          const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
          if (tag) found.push({ id, file: path.relative(COMPONENTS, file), text: ts.getTextOfJSDocComment(tag.comment) ?? '' });
          if (member.type && ts.isTypeLiteralNode(member.type)) members(member.type.members, id);
        }
      };
      const visit = (node: ts.Node): void => {
        if (ts.isInterfaceDeclaration(node)) members(node.members, node.name.text);
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
  }
  return found;
}

/**
 * The value of a constant declared in a component's file, evaluated from its initializer (an object literal
 * of strings), so the construct's own fallback is read without widening what the component exports.
 */
function constantInFile(file: string, name: string): unknown {
  const full = path.join(COMPONENTS, file);
  const source = ts.createSourceFile(full, fs.readFileSync(full, 'utf8'), ts.ScriptTarget.Latest, true);
  let found: unknown;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText(source) === name && node.initializer) {
      found = new Function(`return (${node.initializer.getText(source)});`)();
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `10m/64Mi requests, 200m/128Mi limits` (CPU may read `1 CPU`) as a resource spec; undefined for other text. */
function resourcesIn(text: string): unknown {
  const m = /^(\S+?)\/(\S+) requests, (\S+?)(?: CPU)?\/(\S+?) limits\b/.exec(text.trim());
  return m ? { requests: { cpu: m[1], memory: m[2] }, limits: { cpu: m[3], memory: m[4] } } : undefined;
}

// ---- reading the config's defaults ---------------------------------------------------------

/**
 * The smallest config, plus the optional sections whose fields the table reads defaults of (parsing fills
 * them in). Only required fields are set, with placeholder values: every other field keeps its default, and
 * an optional field or section the table points at stays unset.
 */
const MINIMAL_CONFIG = {
  environment: 'defaults',
  cluster: 'defaults',
  repository: { url: 'https://git.example.com/org/repo' },
  grafana: { adminCredentials: { secretName: 'grafana-admin' } },
  traces: { searchStore: { serverUrls: ['https://opensearch.example.com:9200'] } },
  postgres: { superuserCredentials: { secretName: 'pg' }, observabilityCredentials: { secretName: 'pg-observability' } },
};

const PARSED_MINIMAL_CONFIG: unknown = StackConfigSchema.parse(MINIMAL_CONFIG);

/** The value the config gives a field nobody set; undefined when it has no default (or lies inside a list). */
function configDefault(configPath: string): unknown {
  let value: unknown = PARSED_MINIMAL_CONFIG;
  for (const key of configPath.split('.')) {
    if (value === undefined || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

type JsonSchema = {
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
};

/** A field of the composed JSON Schema by its config path; a list is stepped through to its items. */
const JSON_SCHEMA = configJsonSchema() as JsonSchema;

function schemaField(configPath: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = JSON_SCHEMA;
  for (const key of configPath.split('.')) {
    const object: JsonSchema | undefined = node?.items ?? node;
    const branches: JsonSchema[] = object ? [object, ...(object.anyOf ?? [])] : [];
    node = branches.map((b) => b.properties?.[key]).find((n) => n !== undefined);
    if (!node) return undefined;
  }
  return node;
}

// ---- the comparison --------------------------------------------------------------------------

/** A value written as the start of a text: a quoted string, a JSON-like list or object, a number or a boolean. */
function leadingLiteral(text: string): { value: unknown } | undefined {
  const t = text.trim();
  const json = /^"(?:[^"\\]|\\.)*"/.exec(t);
  if (json) return { value: JSON.parse(json[0]) };
  const quoted = /^(['`])(.*?)\1/.exec(t);
  if (quoted) return { value: quoted[2] };
  if (t.startsWith('[') || t.startsWith('{')) {
    let depth = 0;
    for (let i = 0; i < t.length; i++) {
      if ('[{'.includes(t[i])) depth++;
      if (']}'.includes(t[i]) && --depth === 0) {
        const json = t.slice(0, i + 1).replace(/'/g, '"');
        try {
          return { value: JSON.parse(json) };
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }
  const scalar = /^(-?\d+(?:\.\d+)?|true|false)(?=$|[\s:,;(]|\.(?:\s|$))/.exec(t);
  if (scalar) return { value: JSON.parse(scalar[1]) };
  return undefined;
}

/** The `Default: X.` sentence of a description: what follows it, or undefined. */
function describedDefault(description: string | undefined): string | undefined {
  const at = description?.lastIndexOf('Default: ') ?? -1;
  return at < 0 ? undefined : description!.slice(at + 'Default: '.length).trim();
}

/** The words of a default that is not a value ("none", "the cluster's default StorageClass"), without explanations. */
function prose(text: string): string {
  const words = text
    .split(/: |; | \(/)[0]
    .replace(/[`'"]/g, '')
    .replace(/\.$/, '')
    .trim()
    .toLowerCase();
  // The same absence in other words: unset props read "undefined", a switched-off feature "off".
  return words === 'undefined' || words === 'off' ? 'none' : words;
}

/** What a description says when the component decides the default: the config has none to repeat. */
const LEFT_TO_THE_COMPONENT = /^sized per component\b/;

const isEmpty = (v: unknown) => (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/**
 * The disagreements between a prop's `@default`, the construct's fallback, the config's default and the
 * config field's "Default: X." sentence. An empty list means they all say the same.
 */
function defaultMismatches(input: {
  propDefault: string;
  configDefault: unknown;
  description: string | undefined;
  fallback?: unknown;
  /** For an object-valued default: the descriptions of its fields, which state their defaults one by one. */
  fieldDescriptions?: Record<string, string | undefined>;
}): string[] {
  const problems: string[] = [];
  const { propDefault, configDefault: value, description, fallback } = input;
  const said = describedDefault(description);
  const show = (v: unknown) => JSON.stringify(v);

  if (value === undefined) {
    // The config has no default: the component's applies, and the description may only repeat it.
    const literal = leadingLiteral(propDefault);
    if (literal) problems.push(`@default ${show(literal.value)}, but the config has no default for it`);
    if (said === undefined) problems.push('the config field does not say its default');
    else if (!LEFT_TO_THE_COMPONENT.test(said) && prose(said) !== prose(propDefault)) {
      problems.push(`@default "${propDefault}", but the config field says "Default: ${said}"`);
    }
    return problems;
  }

  if (fallback !== undefined && !isDeepStrictEqual(fallback, value)) {
    problems.push(`the construct falls back to ${show(fallback)}, but the config's default is ${show(value)}`);
  }
  const literal = leadingLiteral(propDefault);
  const documented = literal ? literal.value : /^[A-Z][A-Z0-9_]*\b/.test(propDefault) ? fallback : undefined;
  const emptyAsNone = isEmpty(value) && prose(propDefault) === 'none';
  if (!emptyAsNone && !isDeepStrictEqual(documented, value)) {
    problems.push(`@default "${propDefault}", but the config's default is ${show(value)}`);
  }

  if (input.fieldDescriptions) {
    for (const [key, text] of Object.entries(input.fieldDescriptions)) {
      const field = (value as Record<string, unknown>)[key];
      const own = defaultMismatches({ propDefault: show(field), configDefault: field, description: text });
      problems.push(...own.map((p) => `${key}: ${p}`));
    }
    return problems;
  }
  if (said === undefined) {
    problems.push(`the config field does not say its default (${show(value)})`);
  } else if (!(isEmpty(value) && prose(said) === 'none')) {
    const written = typeof value === 'object' ? leadingLiteral(said)?.value : said.split(/\s/)[0].replace(/[.,;:]$/, '');
    const expected = typeof value === 'object' ? value : String(value);
    if (!isDeepStrictEqual(written, expected)) problems.push(`the config's default is ${show(value)}, but its description says "Default: ${said}"`);
  }
  return problems;
}

// ---- the tests -------------------------------------------------------------------------------

const props = componentPropDefaults();

describe('a default is written once: the components and the config agree', () => {
  test('the props are found (the reader still understands the sources)', () => {
    expect(props.length).toBeGreaterThan(100);
    expect(props.map((p) => p.id)).toContain('PrometheusProps.retention');
    // Props are named by interface: two interfaces of one name would make the table ambiguous.
    const ids = props.map((p) => p.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  test('every prop with a @default is placed: filled from a config field, or listed with the reason it has none', () => {
    const unplaced = props.filter((p) => !(p.id in FROM_CONFIG) && !(p.id in NO_CONFIG_FIELD)).map((p) => `${p.file}: ${p.id} (@default ${p.text})`);
    expect(unplaced).toEqual([]);
    const both = Object.keys(FROM_CONFIG).filter((id) => id in NO_CONFIG_FIELD);
    expect(both).toEqual([]);
  });

  test('every entry of the table names a prop that exists and a config field that exists', () => {
    const ids = new Set(props.map((p) => p.id));
    expect([...Object.keys(FROM_CONFIG), ...Object.keys(NO_CONFIG_FIELD)].filter((id) => !ids.has(id))).toEqual([]);
    expect(Object.entries(FROM_CONFIG).filter(([, f]) => schemaField(f.path) === undefined).map(([id, f]) => `${id}: ${f.path}`)).toEqual([]);
  });

  test.each(Object.entries(FROM_CONFIG))('%s', (id, field) => {
    const prop = props.find((p) => p.id === id)!;
    const schema = schemaField(field.path)!;
    const value = configDefault(field.path);
    const objectFields =
      typeof value === 'object' && value !== null && !Array.isArray(value) && schema.properties
        ? Object.fromEntries(Object.keys(value).map((k) => [k, schema.properties![k]?.description]))
        : undefined;
    const problems = defaultMismatches({
      propDefault: prop.text,
      configDefault: value,
      description: schema.description,
      fallback: field.fallback,
      fieldDescriptions: objectFields,
    });
    if (field.knownMismatch) {
      // Still different, on purpose (see the reason): once aligned, the entry must lose its knownMismatch.
      expect(problems).not.toEqual([]);
    } else {
      expect(problems).toEqual([]);
    }
  });
});

describe('every default of the config states itself in its description', () => {
  /**
   * Each field of the composed JSON Schema with a default, by path. A section's `{}` means its fields'
   * defaults apply; when the section's description states a default anyway (a volume's "Default: 20Gi."),
   * it is held to its only field with a default.
   */
  function defaultedFields(node: JsonSchema, at: string, out: [string, JsonSchema][] = []): [string, JsonSchema][] {
    const sectionPrefault = isEmpty(node.default) && !Array.isArray(node.default);
    if (node.default !== undefined && !sectionPrefault) out.push([at, node]);
    const withDefaults = Object.values(node.properties ?? {}).filter((child) => child.default !== undefined);
    if (sectionPrefault && describedDefault(node.description) !== undefined && withDefaults.length === 1) {
      out.push([`${at} (section)`, { default: withDefaults[0].default, description: node.description }]);
    }
    for (const [key, child] of Object.entries(node.properties ?? {})) defaultedFields(child, at ? `${at}.${key}` : key, out);
    if (node.items) defaultedFields(node.items, `${at}[]`, out);
    if (typeof node.additionalProperties === 'object') defaultedFields(node.additionalProperties, `${at}.*`, out);
    for (const branch of node.anyOf ?? []) defaultedFields(branch, at, out);
    return out;
  }
  const fields = defaultedFields(JSON_SCHEMA, '');

  test('the schema has defaults to read', () => {
    expect(fields.map(([at]) => at)).toContain('prometheus.retention');
  });

  test.each(fields)('%s', (_, field) => {
    expect(defaultMismatches({ propDefault: JSON.stringify(field.default), configDefault: field.default, description: field.description })).toEqual([]);
  });
});

describe("a resources @default says what the construct falls back to", () => {
  test('every @default that reads as requests and limits names its constant', () => {
    const unmapped = props.filter((p) => resourcesIn(p.text) !== undefined && !(p.id in RESOURCE_FALLBACKS)).map((p) => `${p.file}: ${p.id}`);
    expect(unmapped).toEqual([]);
  });

  test.each(Object.entries(RESOURCE_FALLBACKS))('%s', (id, constant) => {
    const prop = props.find((p) => p.id === id)!;
    const [name, ...inside] = constant.split('.');
    const value = inside.reduce((v, key) => (v as Record<string, unknown>)[key], constantInFile(prop.file, name));
    expect(value).toBeDefined();
    expect({ [id]: resourcesIn(prop.text) }).toEqual({ [id]: value });
  });

  test('the reading of the text can fail', () => {
    expect(resourcesIn('50m/64Mi requests, 1 CPU/4Gi limits: why')).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '4Gi' } });
    expect(resourcesIn("the gateway's resources")).toBeUndefined();
  });
});

describe('the comparison can fail', () => {
  const base = { propDefault: "'15d'", configDefault: '15d', description: 'How long samples are kept. Default: 15d.', fallback: '15d' };

  test('agreement passes, whatever the quoting', () => {
    expect(defaultMismatches(base)).toEqual([]);
    expect(defaultMismatches({ ...base, propDefault: '"15d" (two weeks)' })).toEqual([]);
  });

  test('a @default that differs from the config', () => {
    expect(defaultMismatches({ ...base, propDefault: "'10d'" })).toEqual([`@default "'10d'", but the config's default is "15d"`]);
  });

  test("a construct's fallback that differs from the config (the walStorageSize drift)", () => {
    expect(defaultMismatches({ ...base, propDefault: "'20Gi'", configDefault: '20Gi', description: 'Default: 20Gi.', fallback: '10Gi' })).toEqual([
      `the construct falls back to "10Gi", but the config's default is "20Gi"`,
    ]);
  });

  test('a description that says another default, or none', () => {
    expect(defaultMismatches({ ...base, description: 'How long samples are kept. Default: 30d.' })).toEqual([
      `the config's default is "15d", but its description says "Default: 30d."`,
    ]);
    expect(defaultMismatches({ ...base, description: 'How long samples are kept.' })).toEqual(['the config field does not say its default ("15d")']);
  });

  test('numbers, booleans, lists and objects are compared as values', () => {
    expect(defaultMismatches({ propDefault: '2: a standby', configDefault: 2, description: 'Default: 2.' })).toEqual([]);
    expect(defaultMismatches({ propDefault: '3', configDefault: 2, description: 'Default: 2.' })).toHaveLength(1);
    expect(defaultMismatches({ propDefault: 'true', configDefault: false, description: 'Default: false.' })).toHaveLength(1);
    expect(defaultMismatches({ propDefault: "['postgres']", configDefault: ['postgres'], description: 'Default: ["postgres"].' })).toEqual([]);
    expect(defaultMismatches({ propDefault: "['postgres']", configDefault: ['pg'], description: 'Default: ["pg"].' })).toHaveLength(1);
    expect(defaultMismatches({ propDefault: '0.95', configDefault: 0.95, description: 'Default: 0.9.' })).toHaveLength(1);
  });

  test('a prose default must match the description when the config has no default', () => {
    const description = "StorageClass of the claim. Default: the cluster's default StorageClass.";
    expect(defaultMismatches({ propDefault: "the cluster's default StorageClass", configDefault: undefined, description })).toEqual([]);
    expect(defaultMismatches({ propDefault: 'none: plain HTTP', configDefault: undefined, description: 'Default: HTTPS.' })).toHaveLength(1);
    expect(defaultMismatches({ propDefault: "'5Gi'", configDefault: undefined, description: 'Default: 5Gi.' })).toEqual([
      '@default "5Gi", but the config has no default for it',
    ]);
  });

  test("an object default is compared with the construct's constant and field by field with the descriptions", () => {
    const fields = { rateMB: 'Rate. Default: 8.', burstMB: 'Burst. Default: 16.' };
    const value = { rateMB: 8, burstMB: 16 };
    expect(defaultMismatches({ propDefault: 'LIMITS', configDefault: value, description: 'Limits.', fallback: value, fieldDescriptions: fields })).toEqual([]);
    expect(
      defaultMismatches({ propDefault: 'LIMITS', configDefault: value, description: 'Limits.', fallback: { rateMB: 8, burstMB: 12 }, fieldDescriptions: fields }),
    ).toHaveLength(2);
    expect(
      defaultMismatches({ propDefault: 'LIMITS', configDefault: value, description: 'Limits.', fallback: value, fieldDescriptions: { ...fields, burstMB: 'Default: 20.' } }),
    ).toEqual(['burstMB: the config\'s default is 16, but its description says "Default: 20."']);
  });
});
