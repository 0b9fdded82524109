import { regexAlternatives, servicesMatchers, WEBHOOK_EVENTS } from '../catalog/services';
import type { ServiceConfig, SloTargets } from '../catalog/config';
import { RuleGroupSpec } from '../kit/rule-model';
import { sloRules } from './slo-rules';
import { WAL_SLOT } from '../components/postgres/rules';

/**
 * The platform-level alert catalogue: the groups that watch the applications
 * and the cluster, not one component. Component-owned groups (GPU, PostgreSQL,
 * logs, traces, self-monitoring) stay beside their components.
 */

export interface PlatformRulesOptions {
  /** The service catalogue: drives the SLO and saga groups. */
  readonly services: readonly ServiceConfig[];
  readonly slo: SloTargets;
  /** Namespaces whose pods PodNotReady watches: the catalogue's and the stack's own. */
  readonly namespaces: readonly string[];
}

export function platformRuleGroups(opts: PlatformRulesOptions): RuleGroupSpec[] {
  return [
    platformKernelRules(opts.services, opts.namespaces),
    ...platformKernelLatencyRules(opts.services),
    kubernetesRules(),
    ...sloRules(opts.services, opts.slo),
    ...sagaRules(opts.services),
    ...webhookRules(opts.services),
  ];
}

/**
 * Per-service HTTP rates of the opentelemetry-ms vocabulary, aggregated to the labels the
 * Platform-Kernel alerts group by. The two request rates sit first in the alerts' own group, so
 * each round ErrorRateCritical reads what was recorded a moment before at the same timestamp: the
 * same values as the raw expression (shown in its runbook).
 *
 * The latency buckets are the heavy read: every bucket of every pod's, route's, status code's and
 * tenant's histogram (16 buckets each), about a thousand series per pod. They are recorded in their own
 * group every PK_LATENCY_INTERVAL instead of every round: a 5-minute rate taken every 2 minutes still
 * covers every sample, the recording is never older than the 5-minute lookback, and P99LatencyWarning
 * (5 minutes over 200 ms) sees at least two fresh values before it fires, at most one interval later
 * than on the raw series. A quarter of the reads, for an alert that waits 5 minutes anyway.
 */
export const PK_RECORD = {
  requests: 'namespace_service:http_server_requests:rate1m',
  errors: 'namespace_service:http_server_requests_5xx:rate1m',
  latencyBuckets: 'namespace_service_le:http_server_request_duration_ms_bucket:rate5m',
} as const;

/** How often the latency buckets are recorded (see PK_RECORD). */
export const PK_LATENCY_INTERVAL = '2m';

const platformKernelRecordings = (sel: string) => [
  { record: PK_RECORD.requests, expr: `sum by (namespace, service) (rate(http_server_requests_total{${sel}}[1m]))` },
  { record: PK_RECORD.errors, expr: `sum by (namespace, service) (rate(http_server_requests_total{${sel}, status_code=~"5.."}[1m]))` },
];

/** The latency buckets of the Platform-Kernel services, in their own slower group (see PK_RECORD). */
export function platformKernelLatencyRules(services: readonly ServiceConfig[]): RuleGroupSpec[] {
  const http = declaredSignals(services).http;
  if (http.length === 0) return [];
  const sel = servicesMatchers(http, 'service');
  return [
    {
      name: 'platform-kernel-latency',
      interval: PK_LATENCY_INTERVAL,
      rules: [{ record: PK_RECORD.latencyBuckets, expr: `sum by (namespace, service, le) (rate(http_server_request_duration_ms_bucket{${sel}}[5m]))` }],
    },
  ];
}

/**
 * The catalogue services behind each of the declared packs of `platform-kernel`: a pack is generated only
 * when some service declares what it watches, and selects only those services' series.
 */
export function declaredSignals(services: readonly ServiceConfig[]) {
  return {
    /** The opentelemetry-ms HTTP vocabulary: ErrorRateCritical, P99LatencyWarning. */
    http: services.filter((s) => s.httpVocabulary === 'opentelemetry-ms'),
    /** A Debezium connector in their namespace: CDCLagCritical; and WALBloatCritical on the logical slots of the scraped PostgreSQL servers. */
    debezium: services.filter((s) => s.dependencies.includes('debezium') || s.jmx?.debezium),
    vault: services.filter((s) => s.dependencies.includes('vault')),
    kafkaConsumers: services.filter((s) => s.kafkaConsumers.length > 0),
    circuitBreaker: services.filter((s) => s.signals.circuitBreaker),
    heartbeat: services.filter((s) => s.signals.heartbeat),
  };
}

/**
 * A consumer group id as a literal inside a PromQL regex string: unlike the DNS-label names, a group id may hold
 * regex characters (`.`) or a quote, which would widen the match or break the expression.
 */
const literalInRegex = (value: string) =>
  value
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');

/** `time() - <last heartbeat>` above its bound, for each metric and bound the catalogue declares. */
function heartbeatAgeExpr(services: readonly ServiceConfig[]): string {
  const byBound = new Map<string, ServiceConfig[]>();
  for (const s of services) {
    const key = `${s.signals.heartbeat!.metric} ${s.signals.heartbeat!.maxAgeSeconds}`;
    byBound.set(key, [...(byBound.get(key) ?? []), s]);
  }
  return [...byBound]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, owners]) => {
      const [metric, seconds] = key.split(' ');
      return `time() - max by (namespace, service) (${metric}{${servicesMatchers(owners, 'service')}}) > ${seconds}`;
    })
    .join('\nor\n');
}

/**
 * Platform-Kernel's rules, with their exact names and thresholds. They were
 * written in MetricsQL; every expression here is also plain PromQL. Only
 * PodNotReady is always there; every other pack comes with the catalogue
 * services that declare what it watches (declaredSignals) and reads only theirs.
 */
export function platformKernelRules(services: readonly ServiceConfig[], namespaces: readonly string[]): RuleGroupSpec {
  const declared = declaredSignals(services);
  const namespacesOf = (owners: readonly ServiceConfig[]) => regexAlternatives(owners.map((s) => s.namespace));
  const when = <T>(owners: readonly ServiceConfig[], rules: (owners: readonly ServiceConfig[]) => T[]): T[] => (owners.length > 0 ? rules(owners) : []);
  return {
    name: 'platform-kernel',
    rules: [
      ...when(declared.http, (owners) => [
        ...platformKernelRecordings(servicesMatchers(owners, 'service')),
        {
          alert: 'ErrorRateCritical',
          expr: `${PK_RECORD.errors} / ${PK_RECORD.requests} > %{ratio}`,
          // One minute above 1% is already many failed requests at gateway volume.
          for: '1m',
          severity: 'critical' as const,
          thresholds: { ratio: { value: 0.01, description: 'share of 5xx responses over 1 minute, 0-1' } },
          summary: 'The HTTP 5xx error rate is above its limit.',
          description: '{{ $value | humanizePercentage }} of the requests of {{ $labels.service }} ({{ $labels.namespace }}) failed with 5xx over the last minute (limit %{ratio}).',
        },
        {
          alert: 'P99LatencyWarning',
          expr: `histogram_quantile(0.99, ${PK_RECORD.latencyBuckets}) > %{milliseconds}`,
          // A short burst (a cold cache, a GC pause) is not a trend; 5 minutes is.
          for: '5m',
          severity: 'warning' as const,
          thresholds: { milliseconds: { value: 200, description: 'p99 latency in milliseconds over 5 minutes' } },
          summary: 'HTTP p99 latency is above its limit.',
          description: 'The p99 latency of {{ $labels.service }} ({{ $labels.namespace }}) has been {{ $value | humanize }} ms for %{for} (limit %{milliseconds} ms).',
        },
      ]),
      ...when(declared.debezium, (owners) => [
        {
          alert: 'CDCLagCritical',
          // The lag comes from the Java agent in the connector's JVM, through the collector: the pod's namespace is
          // k8s_namespace_name, the job is <namespace>/<service>, and `server` names the connector. The connector is
          // not itself a catalogue service, so the namespaces of the services that depend on it scope it.
          expr: `max by (k8s_namespace_name, job, server) (debezium_source_connector_lag_seconds{k8s_namespace_name=~"${namespacesOf(owners)}"}) > %{seconds}`,
          // A minute past the SLA rules out a single slow batch.
          for: '1m',
          severity: 'critical' as const,
          thresholds: { seconds: { value: 60, description: 'Debezium source lag in seconds' } },
          summary: 'The CDC pipeline lags behind the database.',
          description: 'Debezium connector {{ $labels.server }} ({{ $labels.job }}) is {{ $value | humanize }}s behind the WAL (limit %{seconds}s); check the Kafka brokers and the connector status.',
        },
        {
          alert: 'WALBloatCritical',
          // WAL a logical replication slot (Debezium's kind) holds back: the server's position less what the slot's
          // consumer confirmed, from postgres_exporter's replication_slot collector, so on every PostgreSQL the stack
          // scrapes an exporter of (its own, with the sidecar). The exporter publishes the confirmed position only
          // while the slot is active; a stalled connector's slot goes inactive, and then its position cannot move,
          // so the last one seen in a week stands in. No slot name is assumed: Debezium's is configurable.
          expr: `max by (namespace, slot_name) (
    ${WAL_SLOT.current}{slot_type="logical"}
  - last_over_time(${WAL_SLOT.confirmed}{slot_type="logical"}[7d])
) > %{bytes}`,
          // WAL grows steadily when the slot is stuck; 5 minutes filters a checkpoint in flight.
          for: '5m',
          severity: 'critical' as const,
          thresholds: { bytes: { value: 10 * 2 ** 30, description: 'WAL retained by a logical replication slot, in bytes (default 10 GiB)' } },
          summary: 'PostgreSQL WAL retained for CDC is too large.',
          description:
            'Replication slot {{ $labels.slot_name }} on the PostgreSQL in {{ $labels.namespace }} holds back {{ $value | humanize1024 }}B of WAL (limit %{bytes} bytes); its consumer (Debezium) has stalled or is gone, and the disk fills.',
        },
      ]),
      {
        alert: 'PodNotReady',
        // kube-state-metrics exports one series per condition (true/false/unknown): a plain `== 0` on all of them
        // matches the false/unknown series of every healthy pod. Not ready = the condition="true" series is 0.
        // Finished Job pods are never ready and are not an outage.
        expr: `kube_pod_status_ready{condition="true", namespace=~"${regexAlternatives(namespaces)}"} == 0
  unless on (namespace, pod) (kube_pod_status_phase{phase="Succeeded"} == 1)`,
        // 2 minutes covers a normal rollout's readiness delay.
        for: '2m',
        severity: 'critical',
        summary: 'A pod is not ready.',
        description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} has not been ready for %{for}; it receives no traffic.',
      },
      ...when(declared.vault, (owners) => [
        {
          alert: 'VaultUnreachable',
          expr: `max by (namespace, service) (vault_health_check_failed{${servicesMatchers(owners, 'service')}}) > 0`,
          // No `for`: a service that reads its secrets from Vault rejects every request while Vault is unreachable.
          severity: 'critical' as const,
          summary: 'Vault health checks are failing.',
          description: '{{ $labels.service }} ({{ $labels.namespace }}) cannot reach Vault; it rejects the requests that need its secrets.',
        },
      ]),
      ...when(declared.kafkaConsumers, (owners) => [
        {
          alert: 'KafkaConsumerLagHigh',
          // Each consumer group the catalogue declares, on the topics it declares, in its service's namespace: a
          // group's lag on a topic it does not say it consumes (a retired subscription) is not this alert's.
          expr: `sum by (namespace, group_id, topic) (\n  ${owners
            .flatMap((s) =>
              s.kafkaConsumers.map(
                (c) =>
                  `kafka_consumer_lag{namespace="${s.namespace}", group_id="${c.groupId.replace(/["\\]/g, '\\$&')}", topic=~"${regexAlternatives(c.topics.map(literalInRegex))}"}`,
              ),
            )
            .join('\n  or\n  ')}\n) > %{messages}`,
          // A rebalance or a deploy lets lag spike for a minute or two; 5 minutes means the group is not keeping up.
          for: '5m',
          severity: 'critical' as const,
          thresholds: { messages: { value: 10000, description: 'consumer lag in messages, summed over partitions' } },
          summary: 'A Kafka consumer group is falling behind.',
          description: 'Group {{ $labels.group_id }} is {{ $value | humanize }} messages behind on topic {{ $labels.topic }} (limit %{messages}).',
        },
      ]),
      ...when(declared.circuitBreaker, (owners) => [
        {
          alert: 'CircuitBreakerOpen',
          expr: `max by (namespace, service, target) (circuit_breaker_state{${servicesMatchers(owners, 'service')}}) == 2`,
          // No `for`: an open breaker already failed fast on every call; the breaker itself debounces.
          severity: 'warning' as const,
          summary: 'A circuit breaker is open.',
          description: 'The circuit breaker from {{ $labels.service }} to {{ $labels.target }} is OPEN; calls to {{ $labels.target }} fail fast.',
        },
      ]),
      ...when(declared.heartbeat, (owners) => [
        {
          alert: 'WorkerHeartbeatMissed',
          // Each service's bound is its own (services[].signals.heartbeat.maxAgeSeconds), so it sits in the
          // expression rather than in one threshold; the bound is itself the grace period.
          expr: heartbeatAgeExpr(owners),
          severity: 'warning' as const,
          summary: 'A background worker missed its heartbeat.',
          description:
            'The worker of {{ $labels.service }} ({{ $labels.namespace }}) last reported {{ $value | humanizeDuration }} ago, beyond the bound ' +
            'its catalogue entry sets (signals.heartbeat.maxAgeSeconds); the work it does on a schedule may have stopped.',
        },
      ]),
    ],
  };
}

/** The Kubernetes group: OOM kills, restart storms, memory and disk pressure, volumes filling up, stuck deployments. */
export function kubernetesRules(): RuleGroupSpec {
  const container = 'namespace, pod, container';
  return {
    name: 'kubernetes',
    rules: [
      {
        alert: 'KubeContainerOOMKilled',
        // A restart in the window whose last termination was an OOM kill.
        expr: `sum by (${container}) (increase(kube_pod_container_status_restarts_total[10m])) > 0
  and on (${container}) max by (${container}) (kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}) == 1`,
        // No `for`: the kill has happened; the window already spans 10 minutes.
        severity: 'warning',
        summary: 'A container was killed for running out of memory.',
        description: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} was OOM-killed in the last 10 minutes; its memory limit is too low or it leaks.',
      },
      {
        alert: 'KubePodRestartStorm',
        expr: `sum by (${container}) (increase(kube_pod_container_status_restarts_total[15m])) > %{restarts}`,
        // Restarts keep coming for 5 more minutes: a crash loop, not a one-off.
        for: '5m',
        severity: 'warning',
        thresholds: { restarts: { value: 3, description: 'restarts of one container within 15 minutes' } },
        summary: 'A container is restarting repeatedly.',
        description: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | humanize }} times in 15 minutes (limit %{restarts}).',
      },
      {
        alert: 'KubeContainerMemoryPressure',
        expr: `sum by (${container}) (container_memory_working_set_bytes{container!=""})
  / sum by (${container}) (kube_pod_container_resource_limits{resource="memory"} > 0) > %{ratio}`,
        // The working set moves with caches; 15 minutes near the limit is the steady state, one step from an OOM kill.
        for: '15m',
        severity: 'warning',
        thresholds: { ratio: { value: 0.9, description: 'working set as a share of the memory limit, 0-1' } },
        summary: 'A container is close to its memory limit.',
        description: 'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} has used {{ $value | humanizePercentage }} of its memory limit for %{for} (limit %{ratio}).',
      },
      {
        alert: 'KubeNodeDiskPressure',
        expr: 'max by (node) (kube_node_status_condition{condition="DiskPressure", status="true"}) == 1',
        // The kubelet flips the condition with hysteresis already; 5 minutes ignores a transient image pull.
        for: '5m',
        severity: 'critical',
        summary: 'A node is under disk pressure.',
        description: 'Node {{ $labels.node }} reports DiskPressure; the kubelet evicts pods and refuses new ones until disk is freed.',
      },
      {
        alert: 'KubePersistentVolumeFillingUp',
        expr: `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes) < %{ratio}`,
        // Loki and Jaeger bound their data by time only; a volume that fills stops the store that writes it.
        // 10 minutes ignores a compaction's temporary copy.
        for: '10m',
        severity: 'warning',
        thresholds: { ratio: { value: 0.1, description: 'free space as a share of the volume, 0-1' } },
        summary: 'A PersistentVolume is almost full.',
        description: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} free space left (limit %{ratio}); the store writing it stops when it is full.',
      },
      {
        alert: 'KubeDeploymentStuck',
        expr: 'max by (namespace, deployment) (kube_deployment_status_replicas_unavailable) > 0',
        // Longer than the default progressDeadlineSeconds (10 minutes): a rollout that has not converged by then is stuck.
        for: '15m',
        severity: 'warning',
        summary: 'A Deployment has unavailable replicas for too long.',
        description: 'Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had {{ $value }} unavailable replicas for %{for}; its rollout is stuck.',
      },
    ],
  };
}

/**
 * The saga step durations the saga dashboard's p95 panel reads, summed over pods and services. Read raw over
 * the dashboard's 6 hours, that panel takes every bucket of every step of every saga pod at each point of
 * the graph; a few series per step instead keep it fast at a thousand services (docs/benchmarks.md).
 */
export const SAGA_RECORD = {
  stepDurationBuckets: 'namespace_step_le:saga_step_duration_seconds_bucket:rate5m',
} as const;

/** The saga group, for the catalogue services that record saga steps. */
export function sagaRules(services: readonly ServiceConfig[]): RuleGroupSpec[] {
  const saga = services.filter((s) => s.saga);
  if (saga.length === 0) return [];
  const sel = `namespace=~"${regexAlternatives(saga.map((s) => s.namespace))}", app=~"${regexAlternatives(saga.map((s) => s.name))}"`;
  return [
    {
      name: 'saga',
      rules: [
        { record: SAGA_RECORD.stepDurationBuckets, expr: `sum by (namespace, step, le) (rate(saga_step_duration_seconds_bucket{${sel}}[5m]))` },
        {
          alert: 'SagaOrderStalled',
          // Orders were paid in the window, but none finished either way: the saga is stuck between the two.
          // A missing COMPLETED series (never incremented) counts as no progress.
          expr: `sum by (namespace) (increase(saga_steps_total{${sel}, step="PAYMENT_CREATED"}[30m])) > 0
  unless on (namespace) (sum by (namespace) (increase(saga_steps_total{${sel}, step=~"COMPLETED|COMPENSATION_COMPLETE"}[30m])) > 0)`,
          // No `for`: the 30-minute window is the grace period.
          severity: 'critical',
          summary: 'Orders are paid but no saga completes.',
          description: '{{ $value | humanize }} payments were created in {{ $labels.namespace }} in the last 30 minutes, but no saga reached COMPLETED or COMPENSATION_COMPLETE.',
        },
      ],
    },
  ];
}

/**
 * A payment webhook answered with a 500 can be lost without a trace: any
 * webhook answered with a 5xx is worth a look, since the provider's retries
 * may run out before anyone notices.
 */
export function webhookRules(services: readonly ServiceConfig[]): RuleGroupSpec[] {
  const receivers = services.filter((s) => s.webhookEvents);
  if (receivers.length === 0) return [];
  return [
    {
      name: 'webhooks',
      rules: [
        {
          alert: 'WebhookServerErrors',
          expr: `sum by (namespace, app, provider, event_type) (increase(${WEBHOOK_EVENTS}{${servicesMatchers(receivers)}, status=~"5.."}[5m])) > 0`,
          // No `for`: one failed webhook is already the incident; the 5-minute window keeps it firing long enough to be seen.
          severity: 'warning',
          summary: 'A webhook was answered with a server error.',
          description:
            '{{ $labels.app }} ({{ $labels.namespace }}) answered {{ $value | humanize }} {{ $labels.provider }} {{ $labels.event_type }} webhooks with 5xx in the last 5 minutes; check the 5xx log lines and whether the provider retries.',
        },
      ],
    },
  ];
}
