import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { clusterReadAccess } from '../../lib/rbac';
import { componentMeta } from '../../lib/labels';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { toYaml } from '../../lib/yaml';
import { configMapVolume, ResourceSpec, restrictedPodSecurity, secureContainer } from '../../lib/workload';

/**
 * The defaults of EventExporterProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const EVENT_EXPORTER_DEFAULTS = {
  replicas: 2,
} as const;

export interface EventExporterProps {
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  /** Loki's push endpoint. */
  readonly lokiPushUrl: string;
  /** Loki tenant (X-Scope-OrgID), for a multi-tenant Loki. @default none */
  readonly lokiTenant?: string;
  /** @default 2: a standby takes over within the 15 s lease through leader election */
  readonly replicas?: number;
  /** @default 10m/64Mi requests, 200m/128Mi limits */
  readonly resources?: ResourceSpec;
}

/** The Loki stream of Kubernetes events (`{job="kube-event-exporter"}`). */
export const EVENTS_JOB = 'kube-event-exporter';
const NAME = 'kube-event-exporter';
const METRICS_PORT = 2112;
/** The image's nonroot user. */
const EXPORTER_UID = 65532;
/** The leader-election lock's name; the RBAC below is limited to it. */
export const LEADER_ELECTION_ID = 'kube-event-exporter';
/** The prefix of the exporter's own metrics. */
export const METRICS_PREFIX = 'event_exporter_';

const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '10m', memory: '64Mi' },
  limits: { cpu: '200m', memory: '128Mi' },
};

/**
 * The fields of each event's JSON line. Loki stream labels of this exporter
 * are static (its streamLabels are not templated), so namespace, reason, kind
 * and name live in the line and become labels at query time with `| json`:
 * `{job="kube-event-exporter"} | json | namespace="shop" | reason="BackOff"`.
 * It also keeps a pod name or an event reason from ever becoming a stream label.
 */
export const EVENT_LAYOUT: Readonly<Record<string, string>> = {
  namespace: '{{ .InvolvedObject.Namespace }}',
  kind: '{{ .InvolvedObject.Kind }}',
  name: '{{ .InvolvedObject.Name }}',
  reason: '{{ .Reason }}',
  type: '{{ .Type }}',
  message: '{{ .Message }}',
  count: '{{ .Count }}',
  component: '{{ .Source.Component }}',
  node: '{{ .Source.Host }}',
  // The line's timestamp is the send time; this is when the event happened.
  lastTimestamp: '{{ .LastTimestamp }}',
};

export function eventExporterConfig(lokiPushUrl: string, lokiTenant?: string): Record<string, unknown> {
  return {
    logLevel: 'info',
    logFormat: 'json',
    // Events older than this when first seen are skipped: after a failover the new leader
    // re-lists every event, and only the last minute is worth (re-)sending.
    maxEventAgeSeconds: 60,
    // Without a prefix the exporter warns at every start that one is recommended; its metrics are then
    // event_exporter_events_sent, event_exporter_watch_errors, ...
    metricsNamePrefix: METRICS_PREFIX,
    // The layout reads the event alone. Without this, every event makes the exporter GET its involved object
    // (for labels and annotations), which its RBAC does not allow: each event logged an error.
    omitLookup: true,
    leaderElection: { enabled: true, leaderElectionID: LEADER_ELECTION_ID },
    route: {
      routes: [{ match: [{ receiver: 'loki', type: 'Warning' }] }],
    },
    receivers: [
      {
        name: 'loki',
        loki: {
          url: lokiPushUrl,
          ...(lokiTenant ? { headers: { 'X-Scope-OrgID': lokiTenant } } : {}),
          streamLabels: { job: EVENTS_JOB },
          layout: { ...EVENT_LAYOUT },
        },
      },
    ],
  };
}

/**
 * kubernetes-event-exporter (the maintained resmoio fork) shipping only
 * Warning events (OOM kills, probe failures, evictions) to Loki, where they
 * outlive the API server's one-hour event TTL.
 *
 * Unmaintained since 2024: the maintained alternative is the OpenTelemetry
 * Collector's `k8sobjects` receiver (watch mode on `events`, with a filter on
 * type Warning) or its `k8s_events` receiver, exporting to Loki's /otlp endpoint.
 */
export class EventExporter extends Construct {
  public readonly scrapeJob: ScrapeJob;
  public readonly configYaml: string;

  constructor(scope: Construct, id: string, props: EventExporterProps) {
    super(scope, id);
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'event-exporter', image: IMAGES.kubeEventExporter }, ns);

    this.configYaml = toYaml(eventExporterConfig(props.lokiPushUrl, props.lokiTenant));
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: metadata(`${NAME}-config`), data: { 'config.yaml': this.configYaml } });

    const serviceAccountName = clusterReadAccess(this, {
      name: NAME,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      // Events, nothing else cluster-wide. Upstream's example grants get/list/watch on `*` to enrich events
      // with the involved object's labels; our layout does not use them, and omitLookup turns the lookup off.
      rules: [{ apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] }],
    });

    // Leader election, in this namespace only. v1.6 (client-go 0.26) uses the
    // "configmapsleases" lock, which holds a ConfigMap and a Lease of the same name.
    // `create` cannot be limited by name (the name is not known to RBAC before the object exists).
    const leaderRole = new k8s.KubeRole(this, 'leader-election-role', {
      metadata: metadata(`${NAME}-leader-election`),
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEADER_ELECTION_ID], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [LEADER_ELECTION_ID], verbs: ['get', 'update'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'leader-election-role-binding', {
      metadata: metadata(`${NAME}-leader-election`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaderRole.name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: ns }],
    });

    const container = secureContainer({
      name: NAME,
      image: IMAGES.kubeEventExporter,
      args: ['-conf=/etc/event-exporter/config.yaml', `-metrics-address=:${METRICS_PORT}`],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      // The standby serves /metrics too, so both replicas are live and ready; only the leader watches.
      liveness: { path: '/metrics', port: 'metrics' },
      readiness: { path: '/metrics', port: 'metrics' },
      volumeMounts: [{ name: 'config', mountPath: '/etc/event-exporter', readOnly: true }],
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: metadata(NAME),
      spec: {
        replicas: props.replicas ?? EVENT_EXPORTER_DEFAULTS.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels, annotations: { 'checksum/config': contentHash(this.configYaml) } },
          spec: {
            serviceAccountName,
            // Watches events and holds the leader lease through the API server.
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurity({ runAsUser: EXPORTER_UID }),
            containers: [container],
            volumes: [configMapVolume('config', configMap.name)],
            // Two replicas on one node would fail together.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
          },
        },
      },
    });

    this.scrapeJob = componentScrapeJob({ job: NAME, namespace: ns, appName: NAME, portName: 'metrics' });
  }
}
