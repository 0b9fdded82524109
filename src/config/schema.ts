import { JMX_TARGET_SYSTEMS, JmxTargetSystem } from '../instrumentation/jmx';
import { z } from 'zod';
import { DURATION_PATTERN, durationSeconds, SIZE_PATTERN, sizeBytes } from '../lib/units';
import { goTemplateSyntaxError } from './go-template';
import { promqlSyntaxError } from './promql';
import { DEFAULT_DEAD_LETTER_QUEUES } from '../components/rabbitmq/settings';

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

/** A duration that may be zero: only an alert's `for` (0s fires at once). */
const durationOrZero = (example: string) =>
  z.string().regex(DURATION_PATTERN, { error: `expected a duration like "${example}"` }).refine((v) => v !== '', {
    error: `expected a duration like "${example}"`,
  });

/** An interval, retention or wait: Prometheus refuses a zero scrape interval, and a zero retention would keep nothing. */
const duration = (example: string) =>
  durationOrZero(example).refine((v) => v === '' || !DURATION_PATTERN.test(v) || durationSeconds(v) > 0, {
    error: `expected a duration greater than 0 like "${example}"`,
    abort: true,
  });

/** A volume or byte limit: Kubernetes refuses a PersistentVolumeClaim of 0, and a 0 retention size would delete everything. */
const size = (example: string) =>
  z
    .string()
    .regex(SIZE_PATTERN, { error: `expected a size like "${example}" (a whole number with Ki, Mi, Gi or Ti)` })
    .refine((v) => !SIZE_PATTERN.test(v) || sizeBytes(v) > 0, { error: `expected a size greater than 0 like "${example}"` });

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
    retention: duration('15d').default('15d').describe('How long samples are kept (storage.tsdb.retention.time in prometheus.yml). Default: 15d.'),
    retentionSize: size('16Gi')
      .default('16Gi')
      .describe(
        'Upper bound on the TSDB size (storage.tsdb.retention.size in prometheus.yml), so a full disk can never happen. ' +
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
    ingressNamespaces: z
      .array(dnsLabel('a namespace name'))
      .min(1, { error: 'expected at least one namespace; omit the field to admit every namespace' })
      .optional()
      .describe(
        "Namespaces whose pods may open Grafana's port, such as your ingress controller's (its NetworkPolicy admits these " +
          'and the stack\'s own clients only). A host-network ingress controller comes from node addresses, which no namespace ' +
          'names: leave this unset for it. Default: every namespace, on Grafana\'s port only.',
      ),
    storage: storage('5Gi').describe("Grafana's database volume (annotations, users, alert state). Default: 5Gi."),
    resources: resources.optional(),
    ingress: z
      .strictObject({
        host: z
          .string()
          .regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
            error: 'expected a host name like "grafana.example.com" (lower-case, no scheme, port or path)',
          })
          .describe('The host name users open.'),
        className: z
          .string()
          .regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, { error: 'expected an IngressClass name, like "nginx"' })
          .optional()
          .describe("The IngressClass. Default: the cluster's default IngressClass."),
        tlsSecretName: dnsLabel('the name of an existing Secret')
          .optional()
          .describe('Existing TLS Secret for the host, in namespaces.monitoring; HTTPS when set (GF_SERVER_ROOT_URL follows). Default: HTTP.'),
        annotations: z
          .record(z.string(), z.string())
          .optional()
          .describe('Annotations for your ingress controller or cert-manager. Default: none.'),
      })
      .optional()
      .describe(
        'An Ingress to Grafana, so users reach it from outside the cluster; Grafana\'s public URL is set from it. Restrict who may ' +
          "open Grafana's port with ingressNamespaces (your controller's namespace). Default: none (port-forward).",
      ),
    dashboards: z
      .array(
        z.strictObject({
          file: z
            .string()
            .regex(/^[^\0]+\.json$/, { error: 'expected the path of a Grafana dashboard JSON file, like "dashboards/orders.json"' })
            .describe('Path of the JSON model (as Grafana exports it), relative to this config file.'),
        }),
      )
      .default([])
      .describe(
        'Your own dashboards, provisioned beside the built-in ones and checked like them at synth: a stable uid, unique ' +
          'panel ids, panels inside the grid, every panel and target on a datasource Grafana will have, and the deploy ' +
          'annotation. Default: none.',
      ),
    datasources: z
      .array(
        z.strictObject({
          name: z.string().min(1, { error: 'expected a datasource name' }).describe('The name Grafana shows.'),
          type: z
            .string()
            .regex(/^[a-z0-9][-a-z0-9]*$/, { error: 'expected a Grafana datasource plugin id, like "prometheus" or "grafana-postgresql-datasource"' })
            .describe('The datasource plugin id.'),
          uid: z
            .string()
            .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'expected a stable uid: 1-40 lower-case letters, digits and "-"' })
            .describe("Stable uid, what your dashboards' panels refer to."),
          url: z.string().regex(/^\S+$/, { error: 'expected a URL or host:port without spaces' }).describe('Where Grafana connects.'),
          user: z.string().min(1).optional().describe('Login user, for SQL datasources.'),
          jsonData: z.record(z.string(), z.unknown()).optional().describe("The plugin's settings, as in Grafana's provisioning files."),
          secureJsonData: z
            .record(
              z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: 'expected a secureJsonData field name, like "password"' }),
              z.strictObject({ secretName: dnsLabel('the name of an existing Secret'), key: secretKeyRef }),
            )
            .optional()
            .describe(
              'Secret fields (password, basicAuthPassword, ...), each from an existing Secret in namespaces.monitoring, by ' +
                "name and key: Grafana reads them from its environment, so no secret is ever in dist/.",
            ),
        }),
      )
      .default([])
      .describe(
        "Your own datasources, beside the stack's (their uids and names must differ from the built-in ones). The stack opens " +
          "no NetworkPolicy to them: if the target's namespace isolates ingress, admit Grafana's pods there. Default: none.",
      ),
  })
  .describe('Grafana, with provisioned datasources and dashboards.');

const alertOverride = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false removes the alert from this environment. Default: true.'),
    for: durationOrZero('5m').optional().describe("How long the condition must hold before the alert fires. Default: the alert's own."),
    severity: z
      .enum(['critical', 'warning', 'info'], { error: 'expected "critical", "warning" or "info"' })
      .optional()
      .describe("The alert's severity, which decides its route. Default: the alert's own."),
    thresholds: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: 'expected a threshold name like "ratio"' }), z.number())
      .optional()
      .describe("Values of the alert's named thresholds (see its runbook). Default: the alert's own."),
  })
  .describe('Settings of one alert.');

const alerting = z
  .strictObject({
    runbookBaseUrl: z
      .url({ error: 'expected an absolute URL like "https://git.example.com/org/repo/blob/main/docs/runbooks"' })
      .optional()
      .describe(
        'Where runbooks live; every alert links to <runbookBaseUrl>/<AlertName>.md. ' +
          'Default: <repository.url>/blob/<repository.revision>/docs/runbooks.',
      ),
    paging: z
      .boolean()
      .default(true)
      .describe(
        'Whether alerts of this environment may page a person (PagerDuty, phone). Set false for QA: its alerts ' +
          'go to chat only, never to the pager, so a QA experiment never wakes anyone. Default: true.',
      ),
    engine: z
      .enum(['prometheus', 'grafana'], { error: 'expected "prometheus" or "grafana"' })
      .default('prometheus')
      .describe(
        'Who evaluates the alerts and routes notifications: "prometheus" (rule files in Prometheus, routing by an ' +
          'Alertmanager the stack deploys; seed 2) or "grafana" (Grafana-managed rules, contact points and notification ' +
          'policy, provisioned from files; seed 1). The rule files are in dist/<environment>/rules/ either way. Default: prometheus.',
      ),
    rules: z
      .record(
        z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'expected an alert name in PascalCase, like "ErrorRateCritical"' }),
        alertOverride,
      )
      .default({})
      .describe(
        'Per-alert settings, keyed by alert name: switch an alert off, change its `for`, its severity or one of its named ' +
          'thresholds. An unknown alert or threshold name is an error that lists the valid ones. Default: every alert as shipped.',
      ),
    receivers: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret')
          .default('alerting-receivers')
          .describe(
            'Existing Secret (in namespaces.monitoring) with the receivers\' credentials, mounted as files; never created ' +
              'by the stack. Default: alerting-receivers.',
          ),
        pagerdutyRoutingKeyKey: secretKeyRef
          .default('pagerduty-routing-key')
          .describe('Key of the PagerDuty Events v2 routing key (integration key). Default: pagerduty-routing-key.'),
        slackWebhookUrlKey: secretKeyRef
          .default('slack-webhook-url')
          .describe('Key of the Slack incoming-webhook URL. Default: slack-webhook-url.'),
        slackChannel: z
          .string()
          .regex(/^#[a-z0-9][a-z0-9._-]*$/, { error: 'expected a Slack channel like "#infra"' })
          .default('#infra')
          .describe('Channel for warnings (seed 2: Slack #infra). Default: #infra.'),
        telegramBotTokenKey: secretKeyRef
          .default('telegram-bot-token')
          .describe('Key of the Telegram bot token. Default: telegram-bot-token.'),
        deadmanWebhookUrlKey: secretKeyRef
          .default('deadman-webhook-url')
          .describe(
            "Key of the dead man's switch URL (a heartbeat check) that Watchdog is posted to every minute, by Alertmanager " +
              '(webhook url_file) or Grafana (a webhook contact point). Default: deadman-webhook-url.',
          ),
        telegramChatId: z
          .number()
          .int({ error: 'expected a Telegram chat id, a whole number like -1001234567890' })
          .optional()
          .describe('Telegram chat every alert also goes to (seed 1). Default: none, no Telegram notifications.'),
      })
      .prefault({})
      .describe('Where notifications go: critical to PagerDuty, warning to Slack, everything also to Telegram.'),
    channels: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(/^[a-z][a-z0-9._-]*$/, { error: 'expected a receiver name of lower-case letters, digits, ".", "_" and "-", like "system.health"' })
            .describe(
              'Name of the receiver (Alertmanager) or contact point (Grafana). Alertmanager regex-quotes it in its payloads ' +
                '(system.health arrives as system\\.health); tell channels apart by their URL, not that field. Required.',
            ),
          alerts: z
            .array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'expected an alert name in PascalCase, like "CDCLagCritical"' }))
            .min(1, { error: 'expected at least one alert name' })
            .describe('Alerts this channel receives, beside the routes of their severity. Required.'),
          webhook: z
            .strictObject({
              urlKey: secretKeyRef.describe('Key of the webhook URL in alerting.receivers.secretName; a URL can carry a token, so it is read from the file. Required.'),
            })
            .optional()
            .describe("A generic webhook: Alertmanager's (or Grafana's) JSON payload POSTed to the URL. Required, as it is the only kind yet."),
          pagerdutySource: z
            .string()
            .min(1)
            .optional()
            .describe("PagerDuty shows this channel's alerts with this `source` (seed 2: platform-kernel). Default: the engine's own."),
        }),
      )
      .default([])
      .describe(
        "Notification channels for named alerts, in addition to their severity's routes (seed 2: the system.health Notify channel " +
          'gets CDCLagCritical, WALBloatCritical and VaultUnreachable beside PagerDuty). Default: none.',
      ),
    alertmanager: z
      .strictObject({
        storage: storage('1Gi').describe("Alertmanager's volume for silences and the notification log. Default: 1Gi."),
        retention: duration('120h')
          .default('120h')
          .describe('How long silences and notification-log entries are kept (--data.retention). Default: 120h.'),
        resources: resources.optional(),
      })
      .prefault({})
      .describe('The Alertmanager deployed with engine "prometheus".'),
  })
  .prefault({})
  .describe('Alerting settings shared by every rule.');

const gitops = z
  .strictObject({
    argocdNamespace: dnsLabel('a namespace name')
      .default('argocd')
      .describe('Namespace where Argo CD runs and where the Application objects live. Default: argocd.'),
    project: dnsLabel('an Argo CD project name')
      .default('default')
      .describe('Argo CD project (AppProject) of the Applications. Default: default.'),
    destinationServer: z
      .url({ error: 'expected the https URL of a Kubernetes API server, like "https://kubernetes.default.svc"' })
      .default('https://kubernetes.default.svc')
      .describe("Kubernetes API server the environment is deployed to. Default: https://kubernetes.default.svc (Argo CD's own cluster)."),
    manifestsDirectory: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'expected a relative directory like "dist" (no leading or trailing "/")' })
      .default('dist')
      .describe(
        'Directory in the repository that holds the committed synth output (`npm run synth -- --out`); ' +
          'Argo CD reads <manifestsDirectory>/<environment>/. Default: dist.',
      ),
    syncPolicy: z
      .strictObject({
        automated: z
          .boolean()
          .default(true)
          .describe('Sync automatically whenever the revision changes; false means every sync is started by hand. Default: true.'),
        prune: z
          .boolean()
          .default(true)
          .describe('Delete objects that are no longer in dist/ (only with automated). Default: true.'),
        selfHeal: z
          .boolean()
          .default(true)
          .describe('Revert changes made in the cluster by hand (only with automated). Default: true.'),
        retryLimit: z
          .number()
          .int()
          .min(0, { error: 'expected a number of retries from 0 to 20' })
          .max(20, { error: 'expected a number of retries from 0 to 20' })
          .default(5)
          .describe('How often a failed sync is retried, with exponential backoff from 10s up to 3m. Default: 5.'),
      })
      .prefault({})
      .describe('How Argo CD keeps the environment in sync with Git.'),
    deployAnnotation: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Post a Grafana annotation after every successful sync, from a PostSync hook Job. Default: true.'),
        tokenSecret: z
          .strictObject({
            name: dnsLabel('the name of an existing Secret')
              .default('grafana-annotation-token')
              .describe(
                'Existing Secret (in namespaces.monitoring) with a Grafana service account token that may create ' +
                  'annotations (Editor role). Never created by the stack. Default: grafana-annotation-token.',
              ),
            key: secretKeyRef.default('token').describe('Key of the token in the Secret. Default: token.'),
          })
          .prefault({})
          .describe('Where the annotation Job reads its Grafana token.'),
      })
      .prefault({})
      .describe('Deploy annotations in Grafana (seed 1, ADR 10), posted by Argo CD instead of CI.'),
  })
  .prefault({})
  .describe('GitOps with Argo CD: the Applications that deploy dist/<environment>/, and the deploy annotation.');
const labelKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: 'expected a label key like "nvidia.com/gpu.present" (optional DNS prefix and "/", then a name of at most 63 characters)',
  });
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: 'expected a label value (at most 63 letters, digits, "-", "_" or ".")' });

const gpu = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Run the NVIDIA device plugin and a GPU exporter on GPU nodes, with the GPU dashboard and alerts. Default: false.'),
    nodeSelector: z
      .record(labelKey, labelValue)
      .refine((v) => Object.keys(v).length > 0, { error: 'expected at least one label: GPU agents must run on GPU nodes only' })
      .default({ 'nvidia.com/gpu.present': 'true' })
      .describe(
        'Node labels that mark GPU nodes; the device plugin and the exporter run there only. ' +
          'Default: {"nvidia.com/gpu.present": "true"} (set by NVIDIA GPU feature discovery).',
      ),
    runtimeClassName: dnsLabel('a RuntimeClass name')
      .nullable()
      .default('nvidia')
      .describe(
        'RuntimeClass that injects the NVIDIA driver and devices into the GPU agents; null when the NVIDIA runtime is ' +
          "the nodes' default. Default: nvidia.",
      ),
    exporter: z
      .enum(['nvidia-smi', 'dcgm'])
      .default('nvidia-smi')
      .describe(
        'GPU exporter: "nvidia-smi" (utkuozdemir/nvidia_gpu_exporter, nvidia_smi_* metrics, runs as non-root) or "dcgm" ' +
          '(dcgm-exporter, DCGM_FI_* metrics with per-pod attribution; runs as root to read the kubelet pod-resources socket). ' +
          'Default: nvidia-smi.',
      ),
    timeSlicing: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(2, { error: 'expected at least 2 (1 is no sharing: omit timeSlicing instead)' })
          .max(64, { error: 'expected at most 64 pods per GPU' })
          .describe('How many pods may share one GPU; the device plugin advertises each GPU this many times.'),
      })
      .optional()
      .describe('Time-slicing: several pods share one GPU, with no memory isolation between them. Default: off.'),
    exporterRequestsGpu: z
      .boolean()
      .default(false)
      .describe(
        'Give the exporter an nvidia.com/gpu share through the device plugin instead of NVIDIA_VISIBLE_DEVICES=all. ' +
          'Only allowed with timeSlicing: a whole GPU per node would be taken from the workloads. Default: false.',
      ),
    aiService: z
      .strictObject({
        name: dnsLabel('a Deployment name').default('ai-service').describe('Deployment of the AI service (seed 1). Default: ai-service.'),
        namespace: dnsLabel('a namespace name').default('go-ai').describe('Namespace of the AI service. Default: go-ai.'),
      })
      .prefault({})
      .describe('The GPU workload AiServiceNotReady watches.'),
    thresholds: z
      .strictObject({
        temperatureCelsius: z
          .number()
          .min(40, { error: 'expected 40 to 110 °C' })
          .max(110, { error: 'expected 40 to 110 °C' })
          .default(85)
          .describe(
            'GpuTemperatureHigh fires above this, held for 10 minutes. Most NVIDIA GPUs start to throttle in the high 80s. Default: 85.',
          ),
        memoryUsedRatio: z
          .number()
          .gt(0, { error: 'expected a ratio above 0 and at most 1' })
          .max(1, { error: 'expected a ratio above 0 and at most 1' })
          .default(0.95)
          .describe(
            'GpuMemoryHigh fires when used VRAM is above this share of total for 15 minutes. An LLM runtime keeps its model ' +
              'resident, so 80-90% is its normal state; above 95% the next model or a longer context fails. Default: 0.95.',
          ),
      })
      .prefault({})
      .describe('Alert thresholds, also drawn on the GPU dashboard.'),
  })
  .prefault({})
  .describe('GPU observability: the NVIDIA device plugin, a GPU exporter, the GPU dashboard and alerts.');

// ---- the service catalogue ------------------------------------------------------

export const LATENCY_QUANTILES = [0.95, 0.99] as const;

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

const sloTargets = z
  .strictObject({
    latency: latencyObjective({
      quantile: "Default: each service's httpVocabulary decides (seed1 services p95, seed2 services p99).",
      thresholdMs: 'Default: 200 (seed 2: gateway p99 < 200 ms).',
    }).describe("The latency target of every service without its own (services[].slo.latency). Default: 200 ms at each vocabulary's quantile."),
    latencyP99Ms: deprecatedLatencyP99Ms('slo.latency'),
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
    latency: latencyObjective({
      quantile: 'Default: slo.latency.quantile, else by httpVocabulary (seed1 p95, seed2 p99).',
      thresholdMs: 'Default: slo.latency.thresholdMs.',
    }).describe(
      'The latency target of this service. Default: the top-level slo.latency.',
    ),
    latencyP99Ms: deprecatedLatencyP99Ms('services[].slo.latency'),
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
  jmx: z
    .strictObject({
      targetSystems: z
        .array(z.enum(Object.keys(JMX_TARGET_SYSTEMS) as [JmxTargetSystem, ...JmxTargetSystem[]]))
        .min(1, { error: 'name at least one target system' })
        .describe(`What to read over JMX: ${Object.keys(JMX_TARGET_SYSTEMS).join(', ')}. Required.`),
      debezium: z
        .boolean()
        .default(false)
        .describe('The service runs Debezium\'s PostgreSQL connector: its MBeans become the debezium_source_connector_* series. Default: false.'),
    })
    .optional()
    .describe(
      'A Java service whose JMX metrics the platform collects: instrument() runs the OpenTelemetry Java agent in its JVM, ' +
        'which sends them over OTLP to the collector. Default: none.',
    ),
  buildInfo: z
    .boolean()
    .default(false)
    .describe(
      'The service exports build_info{version, revision} = 1 (the Prometheus version collector\'s labels; revision is the ' +
        'commit SHA): the service overview then shows which revision each pod runs. Default: false (the gitSHA startup log line only).',
    ),
  webhookEvents: z
    .boolean()
    .default(false)
    .describe(
      'The service receives webhooks (a payment provider\'s, say) and counts each in webhook_events_total{provider, ' +
        'event_type, status}, status being the HTTP status it answered. Drives the webhook panels and WebhookServerErrors. Default: false.',
    ),
  slo: serviceSlo,
});

const services = z
  .array(service)
  .default([])
  .describe('The service catalogue: every application service the platform watches. Dashboards are generated from it. Default: none.');
// ---- traces and the telemetry pipeline (issue 4) --------------------------------

const traces = z
  .strictObject({
    storage: z
      .enum(['badger', 'memory', 'opensearch', 'elasticsearch'])
      .default('badger')
      .describe(
        'Where Jaeger keeps spans: "badger" on a PersistentVolumeClaim, so traces survive a restart (the single-node default), ' +
          '"memory" for a throwaway install, or an existing "opensearch" / "elasticsearch" cluster (traces.searchStore), ' +
          'which lets Jaeger run several stateless replicas. Default: badger.',
      ),
    searchStore: z
      .strictObject({
        serverUrls: z
          .array(z.url({ error: 'expected an http(s) URL like "https://opensearch.example.com:9200"' }))
          .min(1, { error: 'expected at least one server URL' })
          .describe('Nodes of the OpenSearch or Elasticsearch cluster (server_urls). Required.'),
        indexPrefix: dnsLabel('an index prefix')
          .default('jaeger')
          .describe('Prefix of the daily span and service indices, so several environments can share one cluster. Default: jaeger.'),
        credentials: z
          .strictObject({
            secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the user name and password.'),
            usernameKey: secretKeyRef.default('username').describe('Key of the user name. Default: username.'),
            passwordKey: secretKeyRef.default('password').describe('Key of the password. Default: password.'),
          })
          .optional()
          .describe('Basic-auth credentials, read from an existing Secret into the environment. Default: none (no auth).'),
        replicas: z
          .number()
          .int()
          .min(1, { error: 'expected 1 to 10 replicas' })
          .max(10, { error: 'expected 1 to 10 replicas' })
          .default(2)
          .describe('Jaeger replicas; with a search store they are stateless. Default: 2.'),
      })
      .optional()
      .describe(
        'The OpenSearch/Elasticsearch cluster, required with storage opensearch or elasticsearch. Retention is the ' +
          "cluster's index lifecycle policy (ISM/ILM) on <indexPrefix>-jaeger-span-*, not traces.retention. Default: none.",
      ),
    retention: duration('7d')
      .default('7d')
      .describe('How long Badger keeps spans (its ttl.spans); ignored by memory storage, which keeps maxTraces instead. Default: 7d.'),
    maxTraces: z
      .number()
      .int()
      .min(1000, { error: 'expected at least 1000 traces' })
      .default(100000)
      .describe('How many traces memory storage keeps before it drops the oldest; ignored by Badger. Default: 100000.'),
    volume: storage('10Gi').describe("Badger's volume, unused with memory storage. Default: 10Gi on the default StorageClass."),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Jaeger v2, the traces backend.');

const otelCollector = z
  .strictObject({
    agent: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Also run a collector on every node (a DaemonSet with host ports 4317/4318 in namespaces.nodeAgents) that forwards ' +
              'to the gateway, so services can send to their node. Default: false (services send to the gateway Service).',
          ),
        resources: resources.optional(),
      })
      .prefault({})
      .describe('The optional per-node agent collector.'),
    queueStorage: storage('2Gi').describe(
      "The gateway's persistent sending queue (file_storage), so a backend outage delays data instead of losing it. Default: 2Gi.",
    ),
    replicas: z
      .number()
      .int()
      .min(1, { error: 'expected 1 to 20 replicas' })
      .max(20, { error: 'expected 1 to 20 replicas' })
      .default(1)
      .describe(
        'Gateway replicas. Above 1 the gateway becomes a StatefulSet (one queue volume per replica) and traces are load-balanced ' +
          'by trace ID to the tail-sampling tier (otelCollector.tailSampling, then required). Default: 1.',
      ),
    tailSampling: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(1, { error: 'expected 1 to 20 replicas' })
          .max(20, { error: 'expected 1 to 20 replicas' })
          .default(2)
          .describe('Replicas of the tail-sampling tier; every span of a trace reaches the same one. Default: 2.'),
        decisionWait: duration('10s')
          .default('10s')
          .describe('How long a trace is held before its sampling decision (decision_wait). Default: 10s.'),
        keepPercentage: z
          .number()
          .min(0, { error: 'expected a percentage from 0 to 100' })
          .max(100, { error: 'expected a percentage from 0 to 100' })
          .default(10)
          .describe('Share of ordinary traces kept; traces with an error or slower than slo.latency.thresholdMs are always kept. Default: 10.'),
        resources: resources.optional(),
      })
      .optional()
      .describe(
        'A tail-sampling tier between the gateway and Jaeger (tail_sampling processor), fed by the load_balancing exporter ' +
          'with routing_key traceID through a headless Service. Default: none (every span is kept).',
      ),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('The OpenTelemetry Collector gateway that services send OTLP to (seed 2): metrics, logs and traces.');
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
    backend: z
      .enum(['loki', 'loki-ha'])
      .default('loki')
      .describe(
        'The log store: "loki", one monolithic Loki on a filesystem volume (the single-node default), or "loki-ha", several ' +
          'monolithic replicas joined by memberlist with replication_factor 3 and chunks in an S3-compatible bucket ' +
          '(logs.objectStore). Default: loki.',
      ),
    ha: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(3, { error: 'expected at least 3 replicas (replication_factor is 3)' })
          .max(30, { error: 'expected at most 30 replicas' })
          .default(3)
          .describe('Monolithic Loki replicas; each line is written to 3 of them. Default: 3.'),
        objectStore: z
          .strictObject({
            bucket: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3-63 lower-case letters, digits, "." and "-")' })
              .describe('Bucket for chunks and the index (bucketnames). Required.'),
            endpoint: z
              .string()
              .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, { error: 'expected a host[:port] like "s3.eu-west-1.amazonaws.com" or "minio.storage:9000"' })
              .describe('S3 endpoint, host[:port] without scheme. Required.'),
            region: z.string().min(1).default('us-east-1').describe('S3 region. Default: us-east-1.'),
            insecure: z.boolean().default(false).describe('Plain HTTP to the endpoint (an in-cluster MinIO). Default: false.'),
            forcePathStyle: z
              .boolean()
              .default(true)
              .describe('Path-style bucket URLs (s3forcepathstyle), which MinIO and most non-AWS stores need. Default: true.'),
            credentials: z
              .strictObject({
                secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the access keys.'),
                accessKeyIdKey: secretKeyRef.default('access-key-id').describe('Key of the access key id. Default: access-key-id.'),
                secretAccessKeyKey: secretKeyRef
                  .default('secret-access-key')
                  .describe('Key of the secret access key. Default: secret-access-key.'),
              })
              .describe('Access keys, read from an existing Secret into the environment and expanded by -config.expand-env. Required.'),
          })
          .optional()
          .describe('The S3-compatible object store. Required with backend loki-ha.'),
        resources: resources.optional().describe('Per replica. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('Loki HA settings, used with backend loki-ha.'),
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
          .int({ error: 'expected 1 or 2 replicas' })
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
const sqlIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  error: 'expected a lower-case SQL identifier (letters, digits and "_", at most 63, not starting with a digit)',
});

const rabbitmq = z
  .strictObject({
    vhost: z
      .string()
      .regex(/^\/[A-Za-z0-9._\/-]*$/, { error: 'expected a RabbitMQ virtual host starting with "/", like "/" or "/qa"' })
      .default('/')
      .describe(
        "The environment's virtual host: only its queues are scraped and stored. Give QA its own (seed 1: \"/qa\"); synth refuses " +
          'two environments that watch the same broker and vhost. Default: /.',
      ),
    brokers: z
      .array(
        z.strictObject({
          name: dnsLabel('an app label').describe('The `app` (or app.kubernetes.io/name) label of the broker pods. Required.'),
          namespace: dnsLabel('a namespace name').describe('Namespace of the broker pods. Required.'),
        }),
      )
      .min(1, { error: 'expected at least one broker' })
      .describe(
        'RabbitMQ brokers to scrape through the rabbitmq_prometheus plugin: pods declaring container port 15692 ' +
          '(the Cluster Operator and the Bitnami chart do). Required.',
      ),
    deadLetterQueues: z
      .string()
      .min(1)
      .refine(
        (re) => {
          try {
            new RegExp(`^(?:${re})$`);
            return true;
          } catch {
            return false;
          }
        },
        { error: 'expected a regular expression of queue names, like ".+\\.dlq"' },
      )
      .default(DEFAULT_DEAD_LETTER_QUEUES)
      .describe(`Regular expression for dead-letter queue names (RabbitMQDeadLetterQueueGrowing). Default: ${DEFAULT_DEAD_LETTER_QUEUES}.`),
  })
  .optional()
  .describe("The saga's RabbitMQ brokers (seed 1): per-queue metrics, the RabbitMQ dashboard and the dead-letter alerts. Default: none.");

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

// ---- user-defined alert rules (issue 10) -----------------------------------------

/**
 * Text Prometheus expands as a Go template: it must parse, or Prometheus refuses the whole rules file.
 * Label names are kept to the classic [a-zA-Z_][a-zA-Z0-9_]* so `{{ $labels.x }}` can read them.
 */
const alertTemplate = z.string().superRefine((text, ctx) => {
  const problem = goTemplateSyntaxError(text);
  if (problem) ctx.addIssue({ code: 'custom', message: `expected a Go template that Prometheus can parse (${problem})` });
});

const extraAlertRule = z.strictObject({
  alert: z
    .string()
    .regex(/^[A-Z][a-zA-Z0-9]*$/, { error: 'expected a PascalCase alert name like "CheckoutErrorsHigh"' })
    .describe('Alert name, PascalCase; its runbook is <alerting.runbookBaseUrl>/<alert>.md. Required.'),
  expr: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = promqlSyntaxError(expr);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a valid PromQL expression (${problem})` });
    })
    .describe('The PromQL condition; checked with the PromQL grammar at synth time. Required.'),
  for: durationOrZero('5m').default('5m').describe('How long the condition must hold before the alert fires. Default: 5m.'),
  severity: z.enum(['critical', 'warning', 'info']).describe('critical pages, warning and info go to chat. Required.'),
  summary: z
    .string()
    .min(1)
    .refine((v) => !v.includes('{{'), { error: 'expected a fixed sentence without {{ }} templates (they belong in description)' })
    .describe('A fixed sentence, so notifications group well. Required.'),
  description: alertTemplate
    .min(1)
    .describe('What, where and how much; may use {{ $labels.x }} and {{ $value }}, checked as Prometheus parses it. Required.'),
  labels: z
    .record(
      z
        .string()
        .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'expected a label name like "team" (letters, digits and "_", not starting with a digit)' })
        .refine((k) => !k.startsWith('__'), { error: 'expected a label name that does not start with "__" (reserved for Prometheus)' })
        .refine((k) => !['severity', 'alertname'].includes(k), {
          error: 'expected a label other than "severity" (set by the severity field) and "alertname" (the alert field)',
        }),
      alertTemplate,
    )
    .optional()
    .describe(
      'Extra labels of the alert, such as a team to route on; values may use the same templates as description. Default: none.',
    ),
});

const extraAlertRules = z
  .array(extraAlertRule)
  .default([])
  .describe(
    "Your own alert rules, evaluated by the platform's Prometheus in the group `extra-alert-rules` beside the platform's. " +
      'Default: none.',
  );

// ---- scaling beyond one node (issue 11) -------------------------------------------

const replicaCount = (what: string, min: number, max: number, def: number) =>
  z
    .number()
    .int()
    .min(min, { error: `expected ${min} to ${max} ${what} replicas` })
    .max(max, { error: `expected ${min} to ${max} ${what} replicas` })
    .default(def);

const metrics = z
  .strictObject({
    backend: z
      .enum(['prometheus', 'victoriametrics', 'victoriametrics-cluster'])
      .default('prometheus')
      .describe(
        'The metrics store: "prometheus" (one Prometheus on a volume, the single-node default); "victoriametrics" (one ' +
          'VictoriaMetrics node) or "victoriametrics-cluster" (vminsert, vmselect, vmstorage). With VictoriaMetrics, vmagent ' +
          'scrapes the same jobs (prometheus.scrapeInterval) and vmalert evaluates the same rules (prometheus.evaluationInterval), ' +
          'sending alerts to the Alertmanager of alerting.engine "prometheus". ' +
          'Default: prometheus.',
      ),
    victoriaMetrics: z
      .strictObject({
        retention: duration('30d')
          .default('30d')
          .describe('How long samples are kept (-retentionPeriod). Default: 30d.'),
        storage: storage('50Gi').describe('Volume of the single node, or of each vmstorage replica. Default: 50Gi.'),
        replicationFactor: z
          .number()
          .int()
          .min(1, { error: 'expected a replication factor of 1 to 5' })
          .max(5, { error: 'expected a replication factor of 1 to 5' })
          .default(2)
          .describe(
            'Copies of every sample across vmstorage nodes (-replicationFactor on vminsert and vmselect); the cluster ' +
              'survives replicationFactor-1 lost nodes. Cluster only. Default: 2.',
          ),
        vmstorage: replicaCount('vmstorage', 1, 100, 3).describe('vmstorage replicas (cluster only). Default: 3.'),
        vminsert: replicaCount('vminsert', 1, 50, 2).describe('vminsert replicas (cluster only). Default: 2.'),
        vmselect: replicaCount('vmselect', 1, 50, 2).describe('vmselect replicas (cluster only). Default: 2.'),
        resources: resources.optional().describe('Single node, or each vmstorage. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('VictoriaMetrics settings, used with backend victoriametrics or victoriametrics-cluster.'),
  })
  .prefault({})
  .describe('The metrics backend: Prometheus, or VictoriaMetrics single-node or cluster.');

const topology = z
  .strictObject({
    role: z
      .enum(['all-in-one', 'agent', 'central'])
      .default('all-in-one')
      .describe(
        'What this cluster runs: "all-in-one" (collectors, backends and Grafana, the single-cluster default); "agent" (only ' +
          'collectors and exporters, shipping everything to topology.central); "central" (backends and Grafana for itself and ' +
          'its agents, with multi-tenant Loki). Default: all-in-one.',
      ),
    central: z
      .strictObject({
        remoteWriteUrl: z
          .url({ error: 'expected the remote-write URL of the central metrics store' })
          .describe('Prometheus remote-write endpoint of the central cluster (its Prometheus /api/v1/write or VictoriaMetrics insert URL).'),
        lokiPushUrl: z
          .url({ error: 'expected the Loki push URL of the central cluster, ending in /loki/api/v1/push' })
          .describe("The central Loki's push URL (…/loki/api/v1/push); OTLP logs go to the same host's /otlp."),
        otlpUrl: z
          .url({ error: 'expected the OTLP/HTTP base URL of the central collector gateway' })
          .describe("The central collector gateway's OTLP/HTTP base URL (traces go to <otlpUrl>/v1/traces)."),
        tenant: dnsLabel('a Loki tenant id')
          .optional()
          .describe('Loki tenant (X-Scope-OrgID) of this cluster\'s logs. Default: the `cluster` name.'),
      })
      .optional()
      .describe('Where an agent cluster ships its telemetry. Required with role agent, refused otherwise.'),
    tenants: z
      .array(dnsLabel('a Loki tenant id'))
      .default([])
      .describe(
        "Central only: the agents' Loki tenants that Grafana reads besides this cluster's own (a multi-tenant query " +
          "X-Scope-OrgID: own|a|b). Default: none.",
      ),
    ingressNamespaces: z
      .array(dnsLabel('a namespace name'))
      .min(1, { error: 'expected at least one namespace; omit the key to admit any namespace' })
      .optional()
      .describe(
        "Central only: namespaces whose pods may reach the agents' endpoints (metrics write, Loki push, OTLP/HTTP), " +
          "normally the ingress controller's that exposes them. Default: any namespace, like Grafana's users.",
      ),
  })
  .prefault({})
  .describe('Topology: one cluster, or agent clusters shipping to a central one.');

export const StackConfigSchema = z
  .strictObject({
    extends: z
      .string()
      .optional()
      .describe(
        'A shared YAML file, relative to this one (like "./shared/catalogue.yaml"), whose settings this file starts from: ' +
          'mappings are merged key by key with this file winning, a list (such as services) is replaced whole. ' +
          'The shared file may extend another. Default: none.',
      ),
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
    gitops,
    gpu,
    slo: sloTargets,
    services,
    traces,
    otelCollector,
    logs,
    postgres,
    rabbitmq,
    extraAlertRules,
    metrics,
    topology,
  })
  .describe('One environment of the observability platform.');

/** The config as written in a file (defaults not yet applied). */
export type StackConfigInput = z.input<typeof StackConfigSchema>;
/** The config with every default applied: what the Stack receives. */
export type StackConfig = z.output<typeof StackConfigSchema>;
export type GpuConfig = z.output<typeof gpu>;
export type ResourcesConfig = z.output<typeof resources>;
export type ServiceConfig = z.output<typeof service>;
export type SloTargets = z.output<typeof sloTargets>;
export type LogsConfig = z.output<typeof logs>;
export type AlertingConfig = z.output<typeof alerting>;
export type MetricsConfig = z.output<typeof metrics>;
export type TopologyConfig = z.output<typeof topology>;
