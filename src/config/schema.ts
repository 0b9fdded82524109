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

const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  error: 'expected a lower-case SQL identifier (letters, digits and "_", at most 63, not starting with a digit)',
});

const postgres = z
  .strictObject({
    namespace: dnsLabel('a namespace name')
      .default('java-tasks')
      .describe("Namespace of the shared PostgreSQL (the applications' namespace, not the stack's). Default: java-tasks."),
    name: dnsLabel('a StatefulSet name').default('postgres').describe('Name of its StatefulSet, Service and `app` label. Default: postgres.'),
    superuserCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret in `namespace` with the postgres superuser password.'),
        passwordKey: secretKeyRef.default('postgres-password').describe('Key of the password. Default: postgres-password.'),
      })
      .describe('The superuser password. Required: there is no default password.'),
    observabilityCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe(
          'Existing Secret with the grafana_reader and exporter passwords. It must exist in `namespace` (for the server and ' +
            'the exporter) and in namespaces.monitoring (for Grafana), under the same name.',
        ),
        grafanaReaderPasswordKey: secretKeyRef
          .default('grafana-reader-password')
          .describe('Key of the grafana_reader password. Default: grafana-reader-password.'),
        exporterPasswordKey: secretKeyRef
          .default('exporter-password')
          .describe('Key of the postgres_exporter role password. Default: exporter-password.'),
      })
      .describe('Passwords of the observability roles. Required: never generated, never in dist/.'),
    databases: z
      .array(sqlIdentifier)
      .default([])
      .describe('Databases of the services: created if missing, equipped with pg_stat_statements, one Grafana datasource each. Default: none.'),
    slowStatementThresholdMs: z
      .number()
      .int()
      .min(1, { error: 'expected a whole number of milliseconds >= 1' })
      .default(500)
      .describe('auto_explain logs the plan of every statement at least this slow; alerts call the same statements slow (seed 1: 500). Default: 500.'),
    logAnalyze: z
      .boolean()
      .default(false)
      .describe('Log actual rows and timings (EXPLAIN ANALYZE) in plans. Costs timing overhead on every statement. Default: false.'),
    topStatements: z
      .number()
      .int()
      .min(1, { error: 'expected 1 to 500' })
      .max(500, { error: 'expected 1 to 500' })
      .default(50)
      .describe('Statements the exporter publishes per scrape, by total execution time (seed 1: top 50). Default: 50.'),
    storage: storage('20Gi').describe('The data volume. Default: 20Gi on the default StorageClass.'),
    resources: resources.optional(),
    exporterResources: resources.optional(),
  })
  .optional()
  .describe("The seeds' shared PostgreSQL 17, made observable (pg_stat_statements, auto_explain, postgres_exporter). Default: none.");

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
    postgres,
  })
  .describe('One environment of the observability platform.');

/** The config as written in a file (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
/** The config with every default applied: what the Stack receives. */
export type StackConfig = z.output<typeof StackConfigSchema>;
export type ResourcesConfig = z.output<typeof resources>;
