import { EXPORTER_GPU_REQUEST_NEEDS_TIME_SLICING } from '../components/gpu/gpu-exporter';
import { durationSeconds, sizeBytes } from '../lib/units';
import type { ConfigProblem } from './loader';
import { everyRuleGroup } from '../alerting/catalogue';
import { overrideProblems } from '../alerting/rule-model';
import { RECEIVER } from '../components/alertmanager/routing';
import type { StackConfig } from './schema';

/**
 * Cross-field rules that a per-field schema cannot express. Each returns the
 * field path it blames, so the message points at the line to change.
 */
export function checkConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];

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
 * Issue 11: backends and topology that only make sense together. An agent
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
 * Fields that still work but will go: synth prints these as warnings with
 * the line, and reads the field as its replacement.
 */
export function configDeprecations(config: StackConfig): ConfigProblem[] {
  return latencyLevels(config)
    .filter(({ slo }) => slo.latency === undefined && slo.latencyP99Ms !== undefined)
    .map(({ at, slo }) => ({
      path: [...at, 'latencyP99Ms'],
      message: `is deprecated; write latency: {quantile: 0.99, thresholdMs: ${slo.latencyP99Ms}} instead (the same p99 target; without a quantile the service's HTTP vocabulary picks p95 or p99)`,
    }));
}

function checkAlerting(config: StackConfig): ConfigProblem[] {
  // SLO alerts only exist for catalogue services, so the catalogue decides which names are valid too.
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
          message: `"${alert}" is not an alert of this environment; known alerts: ${[...alertNames].sort().join(', ')}`,
        });
      }
    });
    if (!channel.webhook) problems.push({ path: at, message: 'has no endpoint; set webhook: {urlKey: ...}' });
  });
  return problems;
}

function checkLogs(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { retention, ingestion } = config.logs;
  // Loki's compactor deletes whole index tables, one per 24h period (schema_config index.period),
  // so a retention that is not whole days is rounded in ways nobody expects.
  const seconds = durationSeconds(retention);
  if (seconds < 86400 || seconds % 86400 !== 0) {
    problems.push({
      path: ['logs', 'retention'],
      message: `"${retention}" is not whole days; Loki deletes logs per 24h index period, so use whole days of at least 1d like "14d"`,
    });
  }
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
 * project's own repository and documentation, never at a backend that holds
 * or receives data.
 */
const SHAREABLE_URL_FIELDS: ReadonlySet<string> = new Set(['repository.url', 'alerting.runbookBaseUrl', 'gitops.destinationServer']);

/** Every string value in the config that is an absolute URL, with its field path. */
function urlFields(value: unknown, at: string[] = []): Array<{ path: string; url: string }> {
  if (typeof value === 'string') return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? [{ path: at.join('.'), url: value.replace(/\/+$/, '') }] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => urlFields(v, [...at, String(i)]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => urlFields(v, [...at, k]));
  return [];
}

/**
 * Environments synthesized together must never share a backend (seed 1's
 * lesson: QA and production shared a RabbitMQ broker with the same queue
 * names, and production's cart-service consumed QA's commands). Enforced here:
 * - no namespace of one environment is a namespace of another. Every in-cluster
 *   backend URL (Prometheus, Grafana, ...) and every cluster-scoped name is
 *   derived from the namespace, so distinct namespaces mean distinct backends;
 * - no URL in one environment's config appears in another's (any field that
 *   points outside the cluster: remote write, external Loki, brokers, ...),
 *   apart from SHAREABLE_URL_FIELDS;
 * - no two environments watch the same RabbitMQ broker in the same vhost.
 * The Argo CD destination server may be shared: isolation comes from the namespaces on it.
 *
 * Returns problems as `<file>: <field.path>: <message>`.
 */
export function checkEnvironmentIsolation(configs: ReadonlyArray<{ file: string; config: StackConfig }>): string[] {
  const problems: string[] = [];
  const namespaceOwner = new Map<string, { file: string; env: string; field: string }>();
  const urlOwner = new Map<string, { file: string; env: string; field: string }>();
  const vhostOwner = new Map<string, { file: string; env: string }>();
  for (const { file, config } of configs) {
    const env = config.environment;
    // Seed 1's incident itself: QA and production on one broker and vhost consume each other's messages.
    config.rabbitmq?.brokers.forEach((broker, i) => {
      const key = `${broker.namespace}/${broker.name} ${config.rabbitmq!.vhost}`;
      const owner = vhostOwner.get(key);
      if (owner && owner.env !== env) {
        problems.push(
          `${file}: rabbitmq.brokers[${i}]: broker ${broker.namespace}/${broker.name} with vhost "${config.rabbitmq!.vhost}" is also watched by ` +
            `environment "${owner.env}" (${owner.file}); give each environment its own vhost (rabbitmq.vhost, like "/qa"), so neither reads the other's queues`,
        );
      } else if (!owner) {
        vhostOwner.set(key, { file, env });
      }
    });
    for (const [key, namespace] of Object.entries(config.namespaces)) {
      const field = `namespaces.${key}`;
      const owner = namespaceOwner.get(namespace);
      if (owner && owner.env !== env) {
        problems.push(
          `${file}: ${field}: "${namespace}" is also ${owner.field} of environment "${owner.env}" (${owner.file}); ` +
            'each environment needs its own namespaces, so one can never read or write the backends of another',
        );
      } else if (!owner) {
        namespaceOwner.set(namespace, { file, env, field });
      }
    }
    for (const { path, url } of urlFields(config)) {
      if (SHAREABLE_URL_FIELDS.has(path)) continue;
      const owner = urlOwner.get(url);
      if (owner && owner.env !== env) {
        problems.push(
          `${file}: ${path}: "${url}" is also ${owner.field} of environment "${owner.env}" (${owner.file}); ` +
            `environments must not share a backend URL (only ${[...SHAREABLE_URL_FIELDS].join(', ')} may be shared)`,
        );
      } else if (!owner) {
        urlOwner.set(url, { file, env, field: path });
      }
    }
  }
  return problems;
}
