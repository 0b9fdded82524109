import { EXPORTER_GPU_REQUEST_NEEDS_TIME_SLICING } from '../components/gpu/gpu-exporter';
import { durationSeconds, sizeBytes } from '../lib/units';
import { ConfigProblem, formatPath } from './errors';
import { everyRuleGroup } from '../alerting/catalogue';
import { overrideProblems } from '../kit/rule-model';
import { RECEIVER } from '../components/alertmanager/routing';
import { lokiRetentionProblem } from '../components/loki/loki';
import { PROMETHEUS_ONLY_SETTINGS } from '../components/prometheus/config';
import { serviceNamespace } from '../components/prometheus-operator/config';
import type { StackConfig, StackConfigInput } from './schema';
import { DEPRECATED_HTTP_VOCABULARIES } from '../catalog/config';

/**
 * Cross-field rules that a per-field schema cannot express. Each returns the
 * field path it blames, so the message points at the line to change.
 */
export function checkConfig(config: StackConfig, written: StackConfigInput = {} as StackConfigInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];

  problems.push(...unusedBackendSettings(config, written));
  problems.push(...prometheusOperatorMode(config, written));
  if (config.metrics.backend !== 'prometheus-operator' && config.grafana.adminCredentials === undefined) {
    problems.push({ path: ['grafana', 'adminCredentials'], message: 'required, expected object: the Secret Grafana reads its admin user and password from (there is no default password)' });
  }

  // The shared intervals have one home; the deprecated Prometheus spelling is only read when it is the only one.
  for (const field of ['scrapeInterval', 'evaluationInterval'] as const) {
    if (written.prometheus?.[field] !== undefined && written.metrics?.[field] !== undefined) {
      problems.push({
        path: ['prometheus', field],
        message: `is the deprecated spelling of metrics.${field}, which is also set; keep only metrics.${field}`,
      });
    }
  }

  // Prometheus needs room beyond its retention bound: compaction writes a new
  // block before deleting the old ones, and the WAL grows between checkpoints.
  const volume = sizeBytes(config.prometheus.storage.size);
  const retained = sizeBytes(config.prometheus.retentionSize);
  if (retained > volume * 0.8) {
    problems.push({
      path: ['prometheus', 'retentionSize'],
      message:
        `"${config.prometheus.retentionSize}" does not fit the ${config.prometheus.storage.size} volume (prometheus.storage.size): ` +
        `at most 80% of the volume (${Math.floor((volume * 0.8) / 2 ** 30)}Gi) is allowed, so compaction and the WAL always have room`,
    });
  }

  if (config.namespaces.monitoring === config.namespaces.nodeAgents) {
    problems.push({
      path: ['namespaces', 'nodeAgents'],
      message:
        `"${config.namespaces.nodeAgents}" is also namespaces.monitoring; node agents need host access and must live in their own ` +
        'namespace so the main one can enforce the restricted Pod Security level',
    });
  }

  // Badger deletes spans by ttl; under an hour a trace can vanish while someone is still following it from a log line.
  if (config.traces.storage === 'badger' && durationSeconds(config.traces.retention) < 3600) {
    problems.push({
      path: ['traces', 'retention'],
      message: `"${config.traces.retention}" is shorter than the 1h minimum: traces must outlive the logs and alerts that link to them`,
    });
  }

  const seen = new Map<string, number>();
  config.services.forEach((svc, i) => {
    const first = seen.get(svc.name);
    if (first !== undefined) {
      problems.push({
        path: ['services', i, 'name'],
        message: `"${svc.name}" is also the name of services[${first}]; service names must be unique, because dashboards and alerts select by name`,
      });
    } else seen.set(svc.name, i);
    const targets = new Set<string>();
    svc.grpcClientTargets.forEach((t, j) => {
      if (targets.has(t)) {
        problems.push({ path: ['services', i, 'grpcClientTargets', j], message: `"${t}" is listed twice; each target once` });
      }
      targets.add(t);
    });
  });

  if (config.gpu.exporterRequestsGpu && config.gpu.timeSlicing === undefined) {
    problems.push({
      path: ['gpu', 'exporterRequestsGpu'],
      message: `true is not allowed without gpu.timeSlicing: ${EXPORTER_GPU_REQUEST_NEEDS_TIME_SLICING}`,
    });
  }
  if (config.postgres) {
    const seen = new Set<string>();
    config.postgres.databases.forEach((db, i) => {
      if (seen.has(db)) {
        problems.push({ path: ['postgres', 'databases', i], message: `"${db}" is listed twice; each database needs one entry (one Grafana datasource)` });
      }
      seen.add(db);
    });
    if (config.postgres.namespace === config.namespaces.nodeAgents) {
      problems.push({
        path: ['postgres', 'namespace'],
        message: `"${config.postgres.namespace}" is namespaces.nodeAgents, which is privileged; a database belongs in an application namespace`,
      });
    }
  }
  const alertNames = new Map<string, number>();
  config.extraAlertRules.forEach((rule, i) => {
    const first = alertNames.get(rule.alert);
    if (first !== undefined) {
      problems.push({
        path: ['extraAlertRules', i, 'alert'],
        message: `"${rule.alert}" is also the name of extraAlertRules[${first}]; alert names must be unique, because routes, silences and runbooks refer to them`,
      });
    } else alertNames.set(rule.alert, i);
  });
  problems.push(...checkLatencyTargets(config));
  problems.push(...checkLogs(config));
  problems.push(...checkAlerting(config));
  problems.push(...checkScaling(config));
  return problems;
}

/**
 * Backends and topology that only make sense together. An agent
 * runs collectors and exporters only, so every backend choice and everything
 * that needs a backend in the same cluster is refused there rather than
 * silently ignored.
 */
function checkScaling(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { role, central, tenants } = config.topology;
  if (role === 'agent') {
    if (!central) {
      problems.push({
        path: ['topology', 'central'],
        message:
          'is missing; role "agent" ships everything to a central cluster, so remoteWriteUrl, lokiPushUrl and otlpUrl are required',
      });
    }
    const defaults: Array<[string[], unknown, unknown]> = [
      [['metrics', 'backend'], config.metrics.backend, 'prometheus'],
      [['logs', 'backend'], config.logs.backend, 'loki'],
      [['traces', 'storage'], config.traces.storage, 'badger'],
    ];
    for (const [path, value, def] of defaults) {
      if (value !== def) {
        problems.push({
          path,
          message: `"${value}" is not allowed with topology.role "agent": an agent runs no backend (only "${def}", the default, which it ignores)`,
        });
      }
    }
    if (config.otelCollector.tailSampling) {
      problems.push({
        path: ['otelCollector', 'tailSampling'],
        message:
          'is not allowed with topology.role "agent": a trace can span clusters, so only the central cluster sees all of its spans and can sample it',
      });
    }
    if (config.postgres) {
      problems.push({
        path: ['postgres'],
        message:
          'is not allowed with topology.role "agent": its Grafana datasources and Loki recording rule need Grafana and Loki in the same cluster; declare the database in an all-in-one or central config',
      });
    }
    if (tenants.length > 0) {
      problems.push({ path: ['topology', 'tenants'], message: 'is only allowed with topology.role "central" (the tenants Grafana reads)' });
    }
    if (config.topology.ingressNamespaces) {
      problems.push({
        path: ['topology', 'ingressNamespaces'],
        message: 'is only allowed with topology.role "central" (where agent clusters arrive); an agent receives nothing from other clusters',
      });
    }
    if (config.extraAlertRules.length > 0) {
      problems.push({
        path: ['extraAlertRules'],
        message:
          'is not allowed with topology.role "agent": an agent evaluates no rules; put them in the central config, where every cluster\'s series are',
      });
    }
  } else {
    if (central) {
      problems.push({
        path: ['topology', 'central'],
        message: `is only allowed with topology.role "agent"; role "${role}" runs its own backends and would ignore it`,
      });
    }
    if (role === 'all-in-one' && config.topology.ingressNamespaces) {
      problems.push({
        path: ['topology', 'ingressNamespaces'],
        message: 'is only allowed with topology.role "central" (where agent clusters arrive); an all-in-one cluster has no agents',
      });
    }
    if (role === 'all-in-one' && tenants.length > 0) {
      problems.push({
        path: ['topology', 'tenants'],
        message: 'is only allowed with topology.role "central"; an all-in-one Loki is single-tenant',
      });
    }
  }
  if (central && !/\/loki\/api\/v1\/push\/?$/.test(central.lokiPushUrl)) {
    problems.push({
      path: ['topology', 'central', 'lokiPushUrl'],
      message: `"${central.lokiPushUrl}" does not end with /loki/api/v1/push; the OTLP endpoint is derived from it (<host>/otlp)`,
    });
  }
  if (role === 'central' && tenants.includes(config.cluster)) {
    problems.push({
      path: ['topology', 'tenants'],
      message: `"${config.cluster}" is this cluster's own tenant (the cluster name), which Grafana always reads; list only the agents' tenants`,
    });
  }

  const vm = config.metrics.victoriaMetrics;
  if (config.metrics.backend === 'victoriametrics-cluster' && vm.replicationFactor > vm.vmstorage) {
    problems.push({
      path: ['metrics', 'victoriaMetrics', 'replicationFactor'],
      message: `${vm.replicationFactor} is above metrics.victoriaMetrics.vmstorage (${vm.vmstorage}); each copy needs its own vmstorage node`,
    });
  }
  if (config.logs.backend === 'loki-ha' && !config.logs.ha.objectStore) {
    problems.push({
      path: ['logs', 'ha', 'objectStore'],
      message: 'is missing; backend "loki-ha" keeps chunks and index in an S3-compatible bucket, so bucket, endpoint and credentials are required',
    });
  }
  const search = config.traces.storage === 'opensearch' || config.traces.storage === 'elasticsearch';
  if (search && !config.traces.searchStore) {
    problems.push({
      path: ['traces', 'searchStore'],
      message: `is missing; traces.storage "${config.traces.storage}" needs the cluster's serverUrls`,
    });
  }
  if (!search && config.traces.searchStore) {
    problems.push({
      path: ['traces', 'searchStore'],
      message: `is only used with traces.storage "opensearch" or "elasticsearch", got storage "${config.traces.storage}"`,
    });
  }
  return problems;
}

/** Where an SLO latency target can be written: the top level and every service. */
function latencyLevels(config: StackConfig): Array<{ at: PropertyKey[]; slo: { latency?: unknown; latencyP99Ms?: number } }> {
  return [{ at: ['slo'], slo: config.slo }, ...config.services.map((svc, i) => ({ at: ['services', i, 'slo'], slo: svc.slo }))];
}

/** The deprecated `latencyP99Ms` is an alias of `latency`; the two together would contradict each other. */
function checkLatencyTargets(config: StackConfig): ConfigProblem[] {
  return latencyLevels(config)
    .filter(({ slo }) => slo.latency !== undefined && slo.latencyP99Ms !== undefined)
    .map(({ at }) => ({
      path: [...at, 'latencyP99Ms'],
      message: 'is the deprecated form of latency, which is also set here; keep only latency: {quantile: 0.99, thresholdMs: ...}',
    }));
}

/**
 * Fields and values that still work but will go: synth prints these as
 * warnings with the line, and reads them as their replacement. `written` is
 * the config as the files spell it, for values the schema already renamed.
 */
export function configDeprecations(config: StackConfig, written: StackConfigInput): ConfigProblem[] {
  const latency = latencyLevels(config)
    .filter(({ slo }) => slo.latency === undefined && slo.latencyP99Ms !== undefined)
    .map(({ at, slo }) => ({
      path: [...at, 'latencyP99Ms'],
      message: `is deprecated; write latency: {quantile: 0.99, thresholdMs: ${slo.latencyP99Ms}} instead (the same p99 target; without a quantile the service's HTTP vocabulary picks p95 or p99)`,
    }));
  const vocabularies = (written.services ?? []).flatMap((svc, i) => {
    const old = svc.httpVocabulary;
    if (old === undefined || !Object.hasOwn(DEPRECATED_HTTP_VOCABULARIES, old)) return [];
    const now = DEPRECATED_HTTP_VOCABULARIES[old as keyof typeof DEPRECATED_HTTP_VOCABULARIES];
    return [{ path: ['services', i, 'httpVocabulary'], message: `"${old}" is deprecated; write "${now}" instead (the same metric names)` }];
  });
  const intervals = (['scrapeInterval', 'evaluationInterval'] as const).flatMap((field) =>
    written.prometheus?.[field] === undefined
      ? []
      : [{ path: ['prometheus', field], message: `is deprecated; write metrics.${field}: ${config.prometheus[field]} instead (every metrics backend shares it)` }],
  );
  return [...latency, ...vocabularies, ...intervals];
}

function checkAlerting(config: StackConfig): ConfigProblem[] {
  // Every alert the stack can generate is a known name (everyRuleGroup), declared by this catalogue or not.
  const groups = everyRuleGroup(config);
  const problems: ConfigProblem[] = overrideProblems(groups, config.alerting.rules).map((p) => ({
    path: ['alerting', 'rules', ...p.path],
    message: p.message,
  }));
  const alertNames = new Set(groups.flatMap((g) => g.rules.flatMap((r) => ('alert' in r ? [r.alert] : []))));
  const taken = new Map<string, string>(Object.values(RECEIVER).map((name) => [name, 'a receiver of the platform']));
  config.alerting.channels.forEach((channel, i) => {
    const at = ['alerting', 'channels', i];
    const other = taken.get(channel.name);
    if (other) problems.push({ path: [...at, 'name'], message: `"${channel.name}" is already ${other}; each receiver needs its own name` });
    taken.set(channel.name, `the name of alerting.channels[${i}]`);
    channel.alerts.forEach((alert, j) => {
      if (!alertNames.has(alert)) {
        problems.push({
          path: [...at, 'alerts', j],
          message: `"${alert}" is not an alert of the stack; known alerts: ${[...alertNames].sort().join(', ')}`,
        });
      }
    });
    if (!channel.webhook && !channel.email && !channel.opsgenie && !channel.msteams) {
      problems.push({ path: at, message: 'has no endpoint; set webhook: {urlKey: ...}, email: {to: [...]}, opsgenie: {apiKeyKey: ...} or msteams: {webhookUrlKey: ...}' });
    }
    if (channel.email && !config.alerting.receivers.email) {
      problems.push({ path: [...at, 'email'], message: 'needs an SMTP server; set alerting.receivers.email: {smarthost: host:port, from: ...}' });
    }
  });
  problems.push(...teamProblems(config));
  return problems;
}

/** Teams name channels and time intervals, and services name teams: each name must exist. */
function teamProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { channels, teams, timeIntervals } = config.alerting;
  const unknown = (what: string, value: string, known: string[]) =>
    `"${value}" is not ${what}; ${known.length > 0 ? `known: ${known.join(', ')}` : `none is defined`}`;
  const duplicates = (names: string[], at: (i: number) => (string | number)[], what: string) =>
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) problems.push({ path: at(i), message: `"${name}" is already ${what} (${names.indexOf(name)}); names must be unique` });
    });
  duplicates(teams.map((t) => t.name), (i) => ['alerting', 'teams', i, 'name'], 'the name of alerting.teams');
  duplicates(timeIntervals.map((t) => t.name), (i) => ['alerting', 'timeIntervals', i, 'name'], 'the name of alerting.timeIntervals');
  const channelNames = channels.map((c) => c.name);
  const intervalNames = timeIntervals.map((t) => t.name);
  teams.forEach((team, i) => {
    for (const severity of ['critical', 'warning', 'info'] as const) {
      const route = team[severity];
      if (!route) continue;
      const at = ['alerting', 'teams', i, severity];
      route.receivers.forEach((name, j) => {
        if (!channelNames.includes(name)) problems.push({ path: [...at, 'receivers', j], message: unknown('a channel of alerting.channels', name, channelNames) });
      });
      for (const field of ['muteTimeIntervals', 'activeTimeIntervals'] as const) {
        (route[field] ?? []).forEach((name, j) => {
          if (!intervalNames.includes(name)) problems.push({ path: [...at, field, j], message: unknown('a time interval of alerting.timeIntervals', name, intervalNames) });
        });
      }
    }
  });
  // A channel without alerts of its own is only reached through a team: one that no team names would get nothing.
  const named = new Set(teams.flatMap((t) => [t.critical, t.warning, t.info].flatMap((r) => r?.receivers ?? [])));
  channels.forEach((channel, i) => {
    if (channel.alerts.length === 0 && !named.has(channel.name)) {
      problems.push({ path: ['alerting', 'channels', i], message: `"${channel.name}" would receive nothing; list alerts, or name it in an alerting.teams receivers list` });
    }
  });
  const teamNames = teams.map((t) => t.name);
  config.services.forEach((service, i) => {
    if (service.team !== undefined && !teamNames.includes(service.team)) {
      problems.push({ path: ['services', i, 'team'], message: unknown('a team of alerting.teams', service.team, teamNames) });
    }
  });
  return problems;
}

function checkLogs(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { retention, ingestion } = config.logs;
  const retentionProblem = lokiRetentionProblem(retention);
  if (retentionProblem) problems.push({ path: ['logs', 'retention'], message: retentionProblem });
  if (ingestion.burstMB < ingestion.rateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'burstMB'],
      message: `${ingestion.burstMB} is below logs.ingestion.rateMB (${ingestion.rateMB}); the burst must be at least the rate`,
    });
  }
  if (ingestion.perStreamBurstMB < ingestion.perStreamRateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'perStreamBurstMB'],
      message:
        `${ingestion.perStreamBurstMB} is below logs.ingestion.perStreamRateMB (${ingestion.perStreamRateMB}); ` +
        'the burst must be at least the rate',
    });
  }
  if (ingestion.perStreamRateMB > ingestion.rateMB) {
    problems.push({
      path: ['logs', 'ingestion', 'perStreamRateMB'],
      message: `${ingestion.perStreamRateMB} is above logs.ingestion.rateMB (${ingestion.rateMB}); one stream cannot be allowed more than the whole environment`,
    });
  }
  return problems;
}

/**
 * Fields whose values two environments may share: they point at this
 * project's own repository and documentation, or at the API server the
 * environment is deployed to, never at a backend that holds or receives data.
 * Agents of several clusters push to the same central cluster by design; the
 * central cluster tells them apart by topology.central.tenant.
 */
const SHAREABLE_URL_FIELDS: ReadonlySet<string> = new Set([
  'repository.url',
  'alerting.runbookBaseUrl',
  'gitops.destinationServer',
  'topology.central.remoteWriteUrl',
  'topology.central.lokiPushUrl',
  'topology.central.otlpUrl',
]);

/** Every string value in the config that is an absolute URL, with its field path. */
function urlFields(value: unknown, at: PropertyKey[] = []): Array<{ path: PropertyKey[]; url: string }> {
  if (typeof value === 'string') return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? [{ path: at, url: value.replace(/\/+$/, '') }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => urlFields(v, [...at, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => urlFields(v, [...at, k]));
  return [];
}

/** A config taking part in the isolation check, and where its fields are written. */
export interface IsolationInput {
  readonly file: string;
  readonly config: StackConfig;
  /** ` (line N)` (or ` (base.yaml, line N)`) for a field path of the file, or "" when the field is a default. */
  readonly lineOf?: (path: readonly PropertyKey[]) => string;
}

/** Something an environment takes for itself: a namespace, a host port on every node, a backend URL. */
interface Claim {
  readonly input: IsolationInput;
  readonly path: PropertyKey[];
  readonly kind: 'namespace' | 'host port' | 'backend URL' | 'RabbitMQ broker and vhost';
  readonly value: string;
}

function claims(input: IsolationInput): Claim[] {
  const { config } = input;
  const out: Claim[] = [];
  const claim = (kind: Claim['kind'], path: PropertyKey[], value: string | number) => out.push({ input, path, kind, value: String(value) });
  // Every in-cluster backend URL (Prometheus, Grafana, ...) and every cluster-scoped name (ClusterRoles and
  // their bindings are prefixed with namespaces.monitoring) is derived from these namespaces.
  for (const [key, namespace] of Object.entries(config.namespaces)) claim('namespace', ['namespaces', key], namespace);
  // Two environments' StatefulSets "postgres" in one namespace would be one object, synced by both.
  if (config.postgres) claim('namespace', ['postgres', 'namespace'], config.postgres.namespace);
  claim('host port', ['nodeExporter', 'port'], config.nodeExporter.port);
  if (config.otelCollector.agent.enabled) {
    for (const port of [4317, 4318]) claim('host port', ['otelCollector', 'agent', 'enabled'], port);
  }
  for (const { path, url } of urlFields(config)) {
    // The Prometheus Operator's URL has a default, and is used only by that backend.
    if (path[1] === 'prometheusOperator' && config.metrics.backend !== 'prometheus-operator') continue;
    if (!SHAREABLE_URL_FIELDS.has(formatPath(path))) claim('backend URL', path, url);
  }
  // QA and production on one broker and vhost consume each other's messages.
  config.rabbitmq?.brokers.forEach((broker, i) => claim('RabbitMQ broker and vhost', ['rabbitmq', 'brokers', i], `${broker.namespace}/${broker.name} ${config.rabbitmq!.vhost}`));
  return out;
}

/**
 * Whether two configs deploy into one Kubernetes cluster, where namespaces and host ports can collide. An
 * agent is, by its role, alone in its cluster (it ships to a central one); the others share a cluster when
 * Argo CD deploys them to the same API server.
 */
function sameCluster(a: StackConfig, b: StackConfig): boolean {
  return a.topology.role !== 'agent' && b.topology.role !== 'agent' && a.gitops.destinationServer === b.gitops.destinationServer;
}

/**
 * Environments must never share a backend. A QA that shares production's broker, database or namespace
 * reads and writes production's data. Enforced between every two configs:
 * - no namespace of one environment (namespaces.*, postgres.namespace) is a namespace of another in the
 *   same cluster;
 * - no host port (node-exporter, the agent collector's OTLP ports) is taken by two environments in the
 *   same cluster: the second DaemonSet's pods would never schedule;
 * - no URL in one config appears in another (remote write, external Loki, search stores, ...), apart
 *   from SHAREABLE_URL_FIELDS;
 * - no two environments in one cluster watch the same RabbitMQ broker in the same vhost.
 * Only problems of a file in `blame` (default: every file) are reported, each naming both files, both
 * fields, the value and the lines.
 */
export function checkEnvironmentIsolation(inputs: readonly IsolationInput[], blame?: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const all = inputs.flatMap(claims);
  const reported = new Set<Claim>();
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i], all[j]];
      if (a.kind !== b.kind || a.value !== b.value || a.input.config.environment === b.input.config.environment) continue;
      if (a.kind !== 'backend URL' && !sameCluster(a.input.config, b.input.config)) continue;
      // Blame the later file, unless only the earlier one is being synthesized.
      const [mine, theirs] = !blame || blame.has(b.input.file) ? [b, a] : blame.has(a.input.file) ? [a, b] : [undefined, undefined];
      if (!mine || !theirs || reported.has(mine)) continue;
      reported.add(mine);
      const where = (c: Claim) => c.input.lineOf?.(c.path) ?? '';
      const why =
        mine.kind === 'namespace'
          ? 'each environment needs its own namespaces, so one can never read or write the backends of another'
          : mine.kind === 'host port'
            ? 'environments on one cluster need their own host ports, or the second one\'s pods never schedule'
            : mine.kind === 'RabbitMQ broker and vhost'
              ? 'give each environment its own vhost (rabbitmq.vhost, like "/qa"), so neither reads the other\'s queues'
              : `environments must not share a backend URL (only ${[...SHAREABLE_URL_FIELDS].join(', ')} may be shared)`;
      problems.push(
        `${mine.input.file}: ${formatPath(mine.path)}: ${mine.kind} ${JSON.stringify(mine.kind === 'host port' ? Number(mine.value) : mine.value)}${where(mine)} ` +
          `is also ${formatPath(theirs.path)} of environment "${theirs.input.config.environment}" (${theirs.input.file}${where(theirs).replace(/^ \(/, ', ').replace(/\)$/, '')}); ${why}`,
      );
    }
  }
  return problems;
}

/**
 * Settings of a metrics store this environment does not run are refused, not silently ignored: Prometheus'
 * retention, volume size and resources with VictoriaMetrics or on an agent cluster (which runs only vmagent), and
 * the VictoriaMetrics settings with Prometheus. Only what the config writes is checked: defaults never clash.
 */
function unusedBackendSettings(config: StackConfig, written: StackConfigInput): ConfigProblem[] {
  const agent = config.topology.role === 'agent';
  const backend = config.metrics.backend;
  const problems: ConfigProblem[] = [];
  if (agent || backend !== 'prometheus') {
    const why = agent
      ? 'an agent cluster runs no Prometheus (vmagent ships every series to the central store), so it would be ignored'
      : backend === 'prometheus-operator'
        ? 'metrics.backend "prometheus-operator" runs no Prometheus of its own (the operator\'s Prometheus is configured in its own release), so it would be ignored'
        : `metrics.backend "${backend}" runs no Prometheus, so it would be ignored; set metrics.victoriaMetrics instead`;
    for (const at of PROMETHEUS_ONLY_SETTINGS) {
      const value = at.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], written.prometheus);
      if (value !== undefined) problems.push({ path: ['prometheus', ...at], message: `applies to Prometheus only: ${why}` });
    }
  }
  if ((agent || backend === 'prometheus' || backend === 'prometheus-operator') && written.metrics?.victoriaMetrics !== undefined) {
    problems.push({
      path: ['metrics', 'victoriaMetrics'],
      message: agent
        ? 'applies to a VictoriaMetrics store, and an agent cluster runs none (vmagent ships to the central store), so it would be ignored'
        : `applies to metrics.backend "victoriametrics" or "victoriametrics-cluster", not "${backend}", so it would be ignored`,
    });
  }
  if (backend !== 'prometheus-operator' && written.metrics?.prometheusOperator !== undefined) {
    problems.push({
      path: ['metrics', 'prometheusOperator'],
      message: `applies to metrics.backend "prometheus-operator", not "${backend}", so it would be ignored`,
    });
  }
  return problems;
}

/**
 * metrics.backend "prometheus-operator" deploys no Prometheus, Alertmanager or Grafana: the cluster's
 * kube-prometheus-stack runs them. Their settings are refused instead of ignored, and the stack's namespace must
 * not be kube-prometheus-stack's, whose pods its default-deny NetworkPolicy would otherwise cut off.
 */
function prometheusOperatorMode(config: StackConfig, written: StackConfigInput): ConfigProblem[] {
  // An agent cluster keeps the default backend (checked with the other agent settings).
  if (config.metrics.backend !== 'prometheus-operator' || config.topology.role === 'agent') return [];
  const problems: ConfigProblem[] = [];
  const op = config.metrics.prometheusOperator;
  const why = 'metrics.backend "prometheus-operator" runs no';
  if (written.prometheus?.storage?.storageClassName !== undefined) {
    problems.push({ path: ['prometheus', 'storage', 'storageClassName'], message: `${why} Prometheus or vmagent of its own, so it would be ignored` });
  }
  if (config.alerting.engine !== 'prometheus') {
    problems.push({
      path: ['alerting', 'engine'],
      message: `expected "prometheus": ${why} Grafana of its own; the operator's Prometheus evaluates the PrometheusRules and its Alertmanager routes them`,
    });
  }
  if (written.alerting?.alertmanager !== undefined) {
    problems.push({
      path: ['alerting', 'alertmanager'],
      message: `${why} Alertmanager of its own (the operator's is set in kube-prometheus-stack's values), so it would be ignored`,
    });
  }
  if (written.gitops?.deployAnnotation !== undefined) {
    problems.push({
      path: ['gitops', 'deployAnnotation'],
      message: `${why} Grafana of its own to annotate (the deploy annotation is posted to this stack's Grafana), so it would be ignored`,
    });
  }
  for (const key of Object.keys(written.grafana ?? {})) {
    problems.push({
      path: ['grafana', key],
      message: `${why} Grafana of its own (kube-prometheus-stack's shows the dashboards through its sidecar), so it would be ignored`,
    });
  }
  const monitoring = config.namespaces.monitoring;
  for (const [path, ns, whose] of [
    [['metrics', 'prometheusOperator', 'prometheusUrl'], serviceNamespace(op.prometheusUrl), "the operator's Prometheus"],
    [['metrics', 'prometheusOperator', 'grafanaNamespace'], op.grafanaNamespace, "kube-prometheus-stack's Grafana"],
  ] as const) {
    if (ns === monitoring || ns === config.namespaces.nodeAgents) {
      problems.push({
        path: [...path],
        message: `namespace "${ns}" of ${whose} is also this stack's (namespaces); give the stack namespaces of its own, since its default-deny NetworkPolicies would cut off the pods already there`,
      });
    }
  }
  return problems;
}
