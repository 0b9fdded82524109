import { z } from 'zod';
import { JMX_TARGET_SYSTEMS, JmxTargetSystem } from '../instrumentation/jmx';
import { defaultSentence, dnsLabel, withDefault } from '../config/fields';
import { seriesSelectorProblem } from '../config/promql';

export const LATENCY_QUANTILES = [0.95, 0.99] as const;

/** The latency threshold of every service the config gives none: an API gateway's p99 target. */
export const DEFAULT_LATENCY_THRESHOLD_MS = 200;

const latencyMs = z.number().positive({ error: 'expected a latency in milliseconds greater than 0' });

/** One latency objective: a quantile of the HTTP latency histogram and the threshold it must stay under. */
const latencyObjective = (defaults: { quantile: string; thresholdMs: string }) =>
  z
    .strictObject({
      quantile: z
        .literal(LATENCY_QUANTILES)
        .optional()
        .describe(`Which quantile of the latency histogram the target is for: 0.95 (p95) or 0.99 (p99). ${defaults.quantile}`),
      thresholdMs: latencyMs.optional().describe(`The quantile must stay below this many milliseconds. ${defaults.thresholdMs}`),
    })
    .optional();

const deprecatedLatencyP99Ms = (instead: string) =>
  latencyMs.optional().describe(`Deprecated: the same as \`${instead}: {quantile: 0.99, thresholdMs: <value>}\`; synth warns and reads it that way.`);

export const sloConfig = z
  .strictObject({
    latency: latencyObjective({
      quantile: "Default: each service's httpVocabulary decides (prometheus-client services p95, opentelemetry-ms services p99).",
      thresholdMs: defaultSentence(DEFAULT_LATENCY_THRESHOLD_MS, '(an API gateway at p99 < 200 ms, say)'),
    }).describe(
      'The latency target of every service without its own (services[].slo.latency). ' +
        defaultSentence(DEFAULT_LATENCY_THRESHOLD_MS, "ms at each vocabulary's quantile"),
    ),
    latencyP99Ms: deprecatedLatencyP99Ms('slo.latency'),
    errorRatio: withDefault(
      z
        .number()
        .gt(0, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
        .lt(1, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' }),
      0.001,
      'Largest allowed share of 5xx responses (0.001 is 0.1%).',
    ),
    kafkaLagMessages: withDefault(
      z.number().int().positive({ error: 'expected a whole number of messages greater than 0' }),
      1000,
      'The Kafka consumer lag SLO in messages: the red line of the lag panels. The page, KafkaConsumerLagHigh, has its ' +
        'own threshold (alerting.rules.KafkaConsumerLagHigh.thresholds.messages, 10 000 by default), higher on purpose: ' +
        'a burst the consumers absorb is shown, not paged.',
    ),
    cdcLagSeconds: withDefault(
      z.number().positive({ error: 'expected seconds greater than 0' }),
      5,
      'p99 lag target of the CDC pipeline (Debezium) in seconds.',
    ),
    openSlo: z
      .array(z.string().regex(/\.ya?ml$/, { error: 'expected the path of a YAML file like "slos/checkout.yaml"' }))
      .default([])
      .describe(
        'OpenSLO v1 files (apiVersion openslo/v1) declaring services\' SLOs, relative to the config file that lists them. ' +
          'Each SLO document becomes services[].slo.objectives of the catalogue service its spec.service names: ' +
          'budgetingMethod Occurrences, a rolling 30d time window (or none), one objective (target or targetPercent), ' +
          'and a ratioMetric of Prometheus counters (counter: true; good or bad, and total; each query a series selector), ' +
          'inline or by indicatorRef to an SLI document in the same files. Default: none.',
      ),
  })
  .prefault({})
  .describe('SLO targets of every service, unless the service sets its own (services[].slo).');

/** An objective over the team's own counters: what an OpenSLO ratio SLI says, in the config's words. */
const counterSelector = (what: string) =>
  z
    .string()
    .superRefine((expr, ctx) => {
      const problem = seriesSelectorProblem(expr);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(what);

const sloObjective = z
  .strictObject({
    name: dnsLabel('an SLO name').describe('The SLO\'s name: the `slo` label of its recordings and alerts. Required.'),
    objective: z
      .number()
      .gt(0, { error: 'expected a ratio between 0 and 1, like 0.999 for 99.9%' })
      .lt(1, { error: 'expected a ratio between 0 and 1, like 0.999 for 99.9%' })
      .describe('The share of good events to reach over 30 days, like 0.999. Required.'),
    total: counterSelector('A series selector of the counter of all events, like http_requests_total{service="checkout"}. Required.'),
    bad: counterSelector('A series selector of the counter of bad events. Give `bad` or `good`.').optional(),
    good: counterSelector('A series selector of the counter of good events. Give `bad` or `good`.').optional(),
    description: z.string().optional().describe('What the SLO promises, shown on the SLO overview. Default: none.'),
  })
  .refine((o) => (o.bad === undefined) !== (o.good === undefined), {
    error: 'give exactly one of `bad` and `good` beside `total`',
  });

const serviceSlo = z
  .strictObject({
    objectives: z
      .array(sloObjective)
      .optional()
      .refine((list) => !list || new Set(list.map((o) => o.name)).size === list.length, { error: 'two objectives have the same name' })
      .describe(
        'SLOs over the service\'s own counters, in place of the generated availability and latency pair; ' +
          'the same error-budget recordings, burn-rate alerts and overview panels. slo.openSlo files fill it; `[]` declares ' +
          'none (a worker that serves no HTTP requests, like a Kafka Connect worker). Default: the generated pair.',
      ),
    latency: latencyObjective({
      quantile: 'Default: slo.latency.quantile, else by httpVocabulary (prometheus-client p95, opentelemetry-ms p99).',
      thresholdMs: 'Default: slo.latency.thresholdMs.',
    }).describe(
      'The latency target of this service. Default: the top-level slo.latency.',
    ),
    latencyP99Ms: deprecatedLatencyP99Ms('services[].slo.latency'),
    latencyRoute: z
      .string()
      .min(1)
      .optional()
      .describe('Only this route counts for the latency target (a login route at p99 < 300 ms, say). Default: every route.'),
    errorRatio: z
      .number()
      .gt(0, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .lt(1, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .optional()
      .describe('Largest allowed share of 5xx responses of this service. Default: slo.errorRatio.'),
  })
  .superRefine((slo, ctx) => {
    if (!slo.objectives) return;
    // Targets of the generated pair would be silently unused beside the service's own objectives.
    for (const field of ['latency', 'latencyP99Ms', 'latencyRoute', 'errorRatio'] as const) {
      if (slo[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'a target of the generated SLOs, unused while objectives (or an OpenSLO file) declare the service\'s SLOs; remove one of them' });
      }
    }
  })
  .prefault({})
  .describe('Targets of this service; omitted ones come from the top-level `slo`.');

/**
 * What a service can depend on that the platform has alerts for, and the series each implies. Kafka
 * consumption is declared with `kafkaConsumers`, PostgreSQL with `database`.
 */
export const SERVICE_DEPENDENCIES = {
  vault:
    'the service reads its secrets from Vault and exports the gauge vault_health_check_failed{service} ' +
    '(1 while its Vault health check fails): VaultUnreachable',
  debezium:
    "the service depends on Debezium's change data capture from PostgreSQL; the connector runs in the service's " +
    'namespace and reports debezium_source_connector_lag_seconds (through the Java agent, labels k8s_namespace_name, job): ' +
    'CDCLagCritical, for the connectors of those namespaces. WALBloatCritical watches the WAL held back by logical ' +
    'replication slots on every PostgreSQL whose postgres_exporter the stack scrapes (pg_replication_slot_*, labels ' +
    'namespace, slot_name): the stack\'s own `postgres`, which then runs with wal_level=logical so that Debezium can ' +
    'create its slot there; the slots of another server need an exporter of their own, annotated for scraping',
} as const;
export type ServiceDependency = keyof typeof SERVICE_DEPENDENCIES;

/** A Prometheus metric name, as a service exports it. */
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'expected a Prometheus metric name (letters, digits, "_" and ":")' });

const serviceSignals = z
  .strictObject({
    circuitBreaker: z
      .boolean()
      .default(false)
      .describe(
        'The service exports circuit_breaker_state{service, target}, one gauge per dependency it calls through a breaker ' +
          '(0 closed, 1 half-open, 2 open): CircuitBreakerOpen. Default: false.',
      ),
    heartbeat: z
      .strictObject({
        metric: metricName.describe(
          'The gauge holding the Unix time in seconds of the last heartbeat, with the label service=<name> ' +
            '(money_hold_worker_last_heartbeat_seconds, say). Required.',
        ),
        maxAgeSeconds: z
          .number()
          .int()
          .positive({ error: 'expected whole seconds greater than 0' })
          .describe('WorkerHeartbeatMissed fires once the last heartbeat is older than this (120, say). Required.'),
      })
      .optional()
      .describe('A background worker of the service reports a heartbeat: WorkerHeartbeatMissed watches its age. Default: none.'),
  })
  .prefault({})
  .describe('Signals the service emits that the platform has alerts for; none unless set here.');

const kafkaConsumer = z.strictObject({
  groupId: z.string().min(1).describe('The consumer group (the `group_id` label of kafka_consumer_lag).'),
  topics: z.array(z.string().min(1)).min(1, { error: 'expected at least one topic' }).describe('Topics the group consumes.'),
});

/**
 * The HTTP metric conventions a service can follow, named after the instrumentation that emits them
 * (HTTP_VOCABULARY in ./services.ts holds the metric and label names of each).
 */
export const HTTP_VOCABULARIES = ['prometheus-client', 'opentelemetry-ms'] as const;
export type HttpVocabularyName = (typeof HTTP_VOCABULARIES)[number];
const DEFAULT_HTTP_VOCABULARY: HttpVocabularyName = 'prometheus-client';

/** The names the conventions had before: still read as the new name, with a deprecation warning (configDeprecations). */
export const DEPRECATED_HTTP_VOCABULARIES = { seed1: 'prometheus-client', seed2: 'opentelemetry-ms' } as const satisfies Record<
  string,
  HttpVocabularyName
>;
type DeprecatedHttpVocabulary = keyof typeof DEPRECATED_HTTP_VOCABULARIES;

const oneOfVocabularies = `expected ${HTTP_VOCABULARIES.map((v) => `"${v}"`).join(' or ')}`;

const service = z.strictObject({
  name: dnsLabel('a service name').describe('Service name: the `app` label of its pods and, for opentelemetry-ms metrics, the `service` label. Required.'),
  namespace: dnsLabel('a namespace name').describe('Namespace the service runs in. Required.'),
  team: dnsLabel('a team name')
    .optional()
    .describe("Team that owns the service: its alerts also go to that team's receivers (alerting.teams). Default: none."),
  stack: z.enum(['go', 'java', 'python']).describe('Language stack; picks the runtime panels (Go runtime or JVM). Required.'),
  httpVocabulary: z
    .union(
      [
        z.enum(HTTP_VOCABULARIES, { error: oneOfVocabularies }),
        z
          .enum(Object.keys(DEPRECATED_HTTP_VOCABULARIES) as [DeprecatedHttpVocabulary, ...DeprecatedHttpVocabulary[]])
          .transform((old) => DEPRECATED_HTTP_VOCABULARIES[old])
          .describe(
            `Deprecated: ${Object.entries(DEPRECATED_HTTP_VOCABULARIES).map(([old, now]) => `"${old}" is "${now}"`).join(', ')}; ` +
              'synth warns and reads the new name.',
          ),
      ],
      { error: oneOfVocabularies },
    )
    // A prefault, not a default: the JSON Schema drops the default of a field whose parse transforms (the alias).
    .prefault(DEFAULT_HTTP_VOCABULARY)
    .describe(
      'The HTTP metric names the service emits: "prometheus-client" = http_requests_total / http_request_duration_seconds ' +
        '(labels method, route, code; the Prometheus client libraries\' convention); "opentelemetry-ms" = ' +
        'http_server_requests_total / http_server_request_duration_ms (labels service, method, route, status_code; ' +
        `OpenTelemetry metrics in milliseconds). ${defaultSentence(DEFAULT_HTTP_VOCABULARY)}`,
    ),
  grpcClientTargets: z
    .array(dnsLabel('a service name'))
    .default([])
    .describe('Services this one calls over gRPC (the `target` label of grpc_client_requests_total). Default: none.'),
  kafkaConsumers: z.array(kafkaConsumer).default([]).describe(
    'Kafka consumer groups of the service and the topics each consumes: kafka_consumer_lag{group_id, topic} of those topics drives KafkaConsumerLagHigh and a lag stat per group and topic on the Kafka consumers dashboard. Default: none.',
  ),
  dependencies: z
    .array(z.enum(Object.keys(SERVICE_DEPENDENCIES) as [ServiceDependency, ...ServiceDependency[]]))
    .default([])
    .describe(
      `What the service depends on that the platform has alerts for: ${Object.entries(SERVICE_DEPENDENCIES)
        .map(([name, implies]) => `"${name}": ${implies}`)
        .join('; ')}. Default: none.`,
    ),
  signals: serviceSignals,
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, { error: 'expected a PostgreSQL database name (lower-case letters, digits and "_")' })
    .optional()
    .describe('PostgreSQL database the service uses; its connections carry application_name=<name>. Default: none.'),
  databaseServer: withDefault(
    z.enum(['shared', 'own'], { error: 'expected "shared" or "own"' }),
    'shared',
    "Where `database` lives. shared: on the stack's PostgreSQL (`postgres:`), which creates it, reads its statements " +
      '(pg_stat_statements) and gives Grafana a datasource for it. own: on a server of the service\'s own, which the ' +
      'stack does not manage (its statements need an exporter of their own).',
  ),
  saga: withDefault(
    z.boolean(),
    false,
    'The service records the steps of a saga in saga_steps_total / saga_step_duration_seconds (the saga dashboard and alerts).',
  ),
  jmx: z
    .strictObject({
      targetSystems: z
        .array(z.enum(Object.keys(JMX_TARGET_SYSTEMS) as [JmxTargetSystem, ...JmxTargetSystem[]]))
        .min(1, { error: 'name at least one target system' })
        .describe(`What to read over JMX: ${Object.keys(JMX_TARGET_SYSTEMS).join(', ')}. Required.`),
      debezium: withDefault(
        z.boolean(),
        false,
        'The service runs Debezium\'s PostgreSQL connector: its MBeans become the debezium_source_connector_* series.',
      ),
    })
    .optional()
    .describe(
      'A Java service whose JMX metrics the platform collects: instrument() runs the OpenTelemetry Java agent in its JVM, ' +
        'which sends them over OTLP to the collector. Default: none.',
    ),
  buildInfo: withDefault(
    z.boolean(),
    false,
    'The service exports build_info{version, revision} = 1 (the Prometheus version collector\'s labels; revision is the ' +
      'commit SHA): the service overview then shows which revision each pod runs.',
    '(the gitSHA startup log line only)',
  ),
  webhookEvents: withDefault(
    z.boolean(),
    false,
    'The service receives webhooks (a payment provider\'s, say) and counts each in webhook_events_total{provider, ' +
      'event_type, status}, status being the HTTP status it answered. Drives the webhook panels and WebhookServerErrors.',
  ),
  slo: serviceSlo,
});

export const servicesConfig = z
  .array(service)
  .prefault([]) // like httpVocabulary's: a default would vanish from the JSON Schema, as a service's parse transforms
  .describe('The service catalogue: every application service the platform watches. Dashboards are generated from it. Default: none.');

export type ServiceConfig = z.output<typeof service>;
export type SloTargets = z.output<typeof sloConfig>;
