import { z } from 'zod';
import { DURATION_PATTERN, SIZE_PATTERN } from '../lib/units';

/**
 * The stack config, defined once. The TypeScript types, the defaults, the
 * validation and the committed JSON Schema (`config.schema.json`) all come from
 * this file, so they cannot drift apart. Every default is documented here,
 * where it is defined, through `.describe()`; the JSON Schema carries the text
 * to editors.
 *
 * Every object is strict: an unknown key is an error, so a typo never passes
 * silently.
 */

// ---- shared field types -------------------------------------------------------

const dnsLabel = (what: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: `expected ${what}: a DNS label (lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit)`,
  });

const duration = (example: string) =>
  z.string().regex(DURATION_PATTERN, { error: `expected a duration like "${example}"` }).refine((v) => v !== '', {
    error: `expected a duration like "${example}"`,
  });

const size = (example: string) =>
  z.string().regex(SIZE_PATTERN, { error: `expected a size like "${example}" (a whole number with Ki, Mi, Gi or Ti)` });

const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, { error: 'expected a CPU quantity like "250m" or "1"' });
const memory = z.string().regex(/^\d+(Ki|Mi|Gi)$/, { error: 'expected a memory quantity like "512Mi" or "1Gi"' });

const resources = z
  .strictObject({
    requests: z.strictObject({ cpu, memory }),
    limits: z.strictObject({ cpu, memory }),
  })
  .describe('CPU and memory requests and limits. Default: sized per component for a small single-node cluster.');

const storage = (defaultSize: string) =>
  z
    .strictObject({
      size: size(defaultSize).default(defaultSize).describe(`Size of the PersistentVolumeClaim. Default: ${defaultSize}.`),
      storageClassName: z
        .string()
        .min(1)
        .optional()
        .describe("StorageClass of the PersistentVolumeClaim. Default: the cluster's default StorageClass."),
    })
    .prefault({});

const secretKeyRef = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: 'expected a Secret key (letters, digits, "-", "_" and ".")' });

// ---- sections -----------------------------------------------------------------

const prometheus = z
  .strictObject({
    scrapeInterval: duration('15s').default('15s').describe('How often every target is scraped (seed 1: 15 s). Default: 15s.'),
    evaluationInterval: duration('30s').default('30s').describe('How often rule groups are evaluated. Default: 30s.'),
    retention: duration('15d').default('15d').describe('How long samples are kept (--storage.tsdb.retention.time). Default: 15d.'),
    retentionSize: size('16Gi')
      .default('16Gi')
      .describe(
        'Upper bound on the TSDB size (--storage.tsdb.retention.size), so a full disk can never happen. ' +
          'Must leave at least 20% of storage.size free for compaction. Default: 16Gi.',
      ),
    storage: storage('20Gi').describe('The TSDB volume. Default: 20Gi on the default StorageClass.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Prometheus, the metrics backend.');

const kubeStateMetrics = z
  .strictObject({ resources: resources.optional() })
  .prefault({})
  .describe('kube-state-metrics: the state of Kubernetes objects as metrics.');

const nodeExporter = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(1024, { error: 'expected a port from 1024 to 65535' })
      .max(65535, { error: 'expected a port from 1024 to 65535' })
      .default(9100)
      .describe('Host port node-exporter listens on (it uses the host network). Default: 9100.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('node-exporter: CPU, memory, disk and network of every node.');

const grafana = z
  .strictObject({
    adminCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe(
          'Existing Secret holding the admin user and password. Never created by the stack, so no password is ever in dist/.',
        ),
        userKey: secretKeyRef.default('admin-user').describe('Key of the admin user name in the Secret. Default: admin-user.'),
        passwordKey: secretKeyRef
          .default('admin-password')
          .describe('Key of the admin password in the Secret. Default: admin-password.'),
      })
      .describe('Where Grafana reads its admin credentials. Required: there is no default password.'),
    anonymousViewer: z
      .boolean()
      .default(true)
      .describe('Let anonymous visitors view dashboards, with the Viewer role only (seed 1). Default: true.'),
    storage: storage('5Gi').describe("Grafana's database volume (annotations, users, alert state). Default: 5Gi."),
    resources: resources.optional(),
  })
  .describe('Grafana, with provisioned datasources and dashboards.');

const alerting = z
  .strictObject({
    runbookBaseUrl: z
      .url({ error: 'expected an absolute URL like "https://git.example.com/org/repo/blob/main/docs/runbooks"' })
      .optional()
      .describe(
        'Where runbooks live; every alert links to <runbookBaseUrl>/<AlertName>.md. ' +
          'Default: <repository.url>/blob/<repository.revision>/docs/runbooks.',
      ),
  })
  .prefault({})
  .describe('Alerting settings shared by every rule.');


// ---- the service catalogue ------------------------------------------------------

const sloTargets = z
  .strictObject({
    latencyP99Ms: z
      .number()
      .positive({ error: 'expected a latency in milliseconds greater than 0' })
      .default(200)
      .describe('p99 HTTP latency target in milliseconds (seed 2: gateway p99 < 200 ms). Default: 200.'),
    errorRatio: z
      .number()
      .gt(0, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .lt(1, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .default(0.001)
      .describe('Largest allowed share of 5xx responses (seed 2: 5xx < 0.1%). Default: 0.001.'),
    kafkaLagMessages: z
      .number()
      .int()
      .positive({ error: 'expected a whole number of messages greater than 0' })
      .default(1000)
      .describe('Largest allowed consumer lag in messages (seed 2: Kafka lag < 1 000). Default: 1000.'),
    cdcLagSeconds: z
      .number()
      .positive({ error: 'expected seconds greater than 0' })
      .default(5)
      .describe('p99 CDC pipeline lag target in seconds (seed 2: Debezium lag < 5 s). Default: 5.'),
  })
  .prefault({})
  .describe("SLO targets; seed 2's SLO table is the default.");

const serviceSlo = z
  .strictObject({
    latencyP99Ms: z
      .number()
      .positive({ error: 'expected a latency in milliseconds greater than 0' })
      .optional()
      .describe('p99 latency target of this service in milliseconds. Default: slo.latencyP99Ms.'),
    latencyRoute: z
      .string()
      .min(1)
      .optional()
      .describe('Only this route counts for the latency target (seed 2: IAM login p99 < 300 ms). Default: every route.'),
    errorRatio: z
      .number()
      .gt(0, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .lt(1, { error: 'expected a ratio between 0 and 1, like 0.001 for 0.1%' })
      .optional()
      .describe('Largest allowed share of 5xx responses of this service. Default: slo.errorRatio.'),
  })
  .prefault({})
  .describe('Targets of this service; omitted ones come from the top-level `slo`.');

const kafkaConsumer = z.strictObject({
  groupId: z.string().min(1).describe('The consumer group (the `group_id` label of kafka_consumer_lag).'),
  topics: z.array(z.string().min(1)).min(1, { error: 'expected at least one topic' }).describe('Topics the group consumes.'),
});

export const HTTP_VOCABULARIES = ['seed1', 'seed2'] as const;

const service = z.strictObject({
  name: dnsLabel('a service name').describe('Service name: the `app` label of its pods and, for seed2 metrics, the `service` label. Required.'),
  namespace: dnsLabel('a namespace name').describe('Namespace the service runs in. Required.'),
  stack: z.enum(['go', 'java', 'python']).describe('Language stack; picks the runtime panels (Go runtime or JVM). Required.'),
  httpVocabulary: z
    .enum(HTTP_VOCABULARIES)
    .default('seed1')
    .describe(
      'The HTTP metric names the service emits: "seed1" = http_requests_total / http_request_duration_seconds ' +
        '(labels method, route, code); "seed2" = http_server_requests_total / http_server_request_duration_ms ' +
        '(labels service, method, route, status_code). Default: seed1.',
    ),
  grpcClientTargets: z
    .array(dnsLabel('a service name'))
    .default([])
    .describe('Services this one calls over gRPC (the `target` label of grpc_client_requests_total). Default: none.'),
  kafkaConsumers: z.array(kafkaConsumer).default([]).describe('Kafka consumer groups of the service and their topics. Default: none.'),
  database: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, { error: 'expected a PostgreSQL database name (lower-case letters, digits and "_")' })
    .optional()
    .describe('PostgreSQL database the service uses; its connections carry application_name=<name>. Default: none.'),
  saga: z.boolean().default(false).describe('The service records saga_steps_total / saga_step_duration_seconds (seed 1). Default: false.'),
  slo: serviceSlo,
});

const services = z
  .array(service)
  .default([])
  .describe('The service catalogue: every application service the platform watches. Dashboards are generated from it. Default: none.');

export const StackConfigSchema = z
  .strictObject({
    environment: dnsLabel('an environment name').describe(
      'Name of the environment; the manifests go to dist/<environment>/ and every object carries it. Required.',
    ),
    cluster: dnsLabel('a cluster name').describe('Name of the cluster, added as the `cluster` label to every series. Required.'),
    repository: z
      .strictObject({
        url: z.url({ error: 'expected the https URL of this repository' }).describe('The Git repository that holds this project.'),
        revision: z.string().min(1).default('main').describe('Branch or tag that environments follow. Default: main.'),
      })
      .describe('This project\'s own repository, for runbook links and GitOps.'),
    namespaces: z
      .strictObject({
        monitoring: dnsLabel('a namespace name')
          .default('monitoring')
          .describe('Namespace of the backends and Grafana; enforces the restricted Pod Security level. Default: monitoring.'),
        nodeAgents: dnsLabel('a namespace name')
          .default('monitoring-agents')
          .describe(
            'Namespace of the node agents that need host access (node-exporter, log agent, GPU exporter); ' +
              'kept apart so the main namespace can stay restricted. Default: monitoring-agents.',
          ),
      })
      .prefault({})
      .describe("The stack's own namespaces. Give each environment its own when environments share a cluster."),
    prometheus,
    kubeStateMetrics,
    nodeExporter,
    grafana,
    alerting,
    slo: sloTargets,
    services,
  })
  .describe('One environment of the observability platform.');

/** The config as written in a file (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
/** The config with every default applied: what the Stack receives. */
export type StackConfig = z.output<typeof StackConfigSchema>;
export type ResourcesConfig = z.output<typeof resources>;
export type ServiceConfig = z.output<typeof service>;
export type SloTargets = z.output<typeof sloTargets>;
