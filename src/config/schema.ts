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

const positiveInt = (what: string, max: number) =>
  z
    .number()
    .int({ error: `expected a whole number of ${what}` })
    .min(1, { error: `expected at least 1 ${what}` })
    .max(max, { error: `expected at most ${max} ${what}` });

const logs = z
  .strictObject({
    agent: z
      .enum(['promtail', 'alloy'], { error: 'expected "promtail" or "alloy"' })
      .default('promtail')
      .describe(
        'The node log agent. Both run the same pipeline. Promtail is what the design names, but it is end-of-life since ' +
          '2026-03-02 (last image line 3.6.x); Grafana Alloy is its maintained successor. Default: promtail.',
      ),
    retention: duration('14d')
      .default('14d')
      .describe("How long Loki keeps log lines (limits_config.retention_period), whole days of at least 1d. Default: 14d."),
    storage: storage('20Gi').describe("Loki's chunk and index volume (filesystem storage). Default: 20Gi."),
    ingestion: z
      .strictObject({
        rateMB: positiveInt('MB/s', 1024)
          .default(8)
          .describe('Sustained ingestion rate for the whole environment (ingestion_rate_mb). Default: 8.'),
        burstMB: positiveInt('MB', 4096)
          .default(16)
          .describe('Ingestion burst above the rate (ingestion_burst_size_mb); at least rateMB. Default: 16.'),
        perStreamRateMB: positiveInt('MB/s', 1024)
          .default(3)
          .describe('Rate of one stream (per_stream_rate_limit), so one noisy pod cannot starve the others. Default: 3.'),
        perStreamBurstMB: positiveInt('MB', 4096)
          .default(15)
          .describe('Burst of one stream (per_stream_rate_limit_burst); at least perStreamRateMB. Default: 15.'),
        maxLineSizeKB: positiveInt('KB', 16384)
          .default(256)
          .describe('Longest accepted line (max_line_size); longer lines are truncated, not rejected. Default: 256.'),
        maxStreams: positiveInt('streams', 1000000)
          .default(10000)
          .describe('Active streams allowed (max_global_streams_per_user): a cardinality fuse. Default: 10000.'),
      })
      .prefault({})
      .describe('Ingestion limits (limits_config), so one noisy pod cannot take Loki down.'),
    postgresApps: z
      .array(dnsLabel('an app label value'))
      .min(1)
      .default(['postgres'])
      .describe(
        'Values of the `app` stream label whose logs are PostgreSQL stderr logs; their auto_explain plans are assembled ' +
          'into one JSON entry with a query_id. Default: ["postgres"].',
      ),
    eventExporter: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Ship Kubernetes Warning events to Loki. Default: true.'),
        replicas: z
          .number()
          .int()
          .min(1, { error: 'expected 1 or 2 replicas' })
          .max(2, { error: 'expected 1 or 2 replicas' })
          .default(2)
          .describe('Replicas; with 2 a standby takes over through leader election. Default: 2.'),
        resources: resources.optional(),
      })
      .prefault({})
      .describe('kubernetes-event-exporter (resmoio): Warning events into Loki under {job="kube-event-exporter"}.'),
    resources: resources.optional().describe("Loki's CPU and memory. Default: 250m/512Mi requests, 1 CPU/2Gi limits."),
    agentResources: resources.optional().describe('The log agent\'s CPU and memory. Default: 50m/128Mi requests, 500m/256Mi limits.'),
  })
  .prefault({})
  .describe('The logs pillar: Loki, the node log agent and Kubernetes Warning events.');

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
    logs,
  })
  .describe('One environment of the observability platform.');

/** The config as written in a file (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
/** The config with every default applied: what the Stack receives. */
export type StackConfig = z.output<typeof StackConfigSchema>;
export type ResourcesConfig = z.output<typeof resources>;
export type LogsConfig = z.output<typeof logs>;
