import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { toYaml } from '../../lib/yaml';
import { IMAGES } from '../../lib/images';
import { clusterReadAccess } from '../../lib/rbac';
import { componentMeta } from '../../lib/labels';
import { ScrapeJob } from '../../lib/scrape';
import { prometheusSize } from '../../lib/units';
import { configMapVolume, ResourceSpec, secureContainer } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';
import { contentHash } from '../../lib/hash';
import { RenderedRuleGroup, ruleFileYaml } from '../../kit/rule-model';
import { annotatedPodsJob, cadvisorJob, DISCOVERY_RULES, kubeletVolumesJob, prometheusConfig, selfJob } from './scrape-config';

/**
 * The defaults of PrometheusProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const PROMETHEUS_DEFAULTS = {
  scrapeInterval: '15s',
  evaluationInterval: '30s',
  retention: '15d',
  retentionSize: '16Gi',
  storageSize: '20Gi',
} as const;

export interface PrometheusProps {
  readonly namespace: string;
  /** Prefix for cluster-scoped objects, so environments can share a cluster. */
  readonly clusterScopedPrefix: string;
  /** @default '15s' */
  readonly scrapeInterval?: string;
  /** @default '30s' */
  readonly evaluationInterval?: string;
  /** How long samples are kept (`storage.tsdb.retention.time` in prometheus.yml). @default '15d' */
  readonly retention?: string;
  /** Upper bound on the TSDB's blocks (`storage.tsdb.retention.size` in prometheus.yml). @default '16Gi' */
  readonly retentionSize?: string;
  /** @default '20Gi' */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** Labels added to every series and alert leaving this Prometheus (`cluster`, `environment`). */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Jobs for the stack's exporters; the annotated-pods, cAdvisor and self jobs are always added. */
  readonly extraScrapeJobs?: readonly ScrapeJob[];
  /** Rule groups to evaluate; each becomes a ConfigMap mounted into the rules directory. */
  readonly ruleGroups?: readonly RenderedRuleGroup[];
  /** Alertmanagers (`host:port`) Prometheus sends firing alerts to. @default none */
  readonly alertmanagers?: readonly string[];
  /**
   * Accept pushed samples on `/api/v1/write` (`--web.enable-remote-write-receiver`), for the OpenTelemetry
   * Collector's remote write. @default false: nothing may write into the TSDB but the scrapes.
   */
  readonly enableRemoteWriteReceiver?: boolean;
  /**
   * Keep exemplars (`--enable-feature=exemplar-storage`), so Grafana can link a metric point to its trace.
   * @default false
   */
  readonly enableExemplarStorage?: boolean;
  /** @default 500m/2Gi requests, 1 CPU/4Gi limits: a small single-node cluster with a few hundred thousand series. */
  readonly resources?: ResourceSpec;
}

export const PROMETHEUS_PORT = 9090;
const NAME = 'prometheus';

/** Prometheus' in-cluster URL in a namespace; the Stack uses it to link clients built before Prometheus itself. */
export function prometheusUrl(namespace: string): string {
  return `http://${NAME}.${namespace}.svc:${PROMETHEUS_PORT}`;
}
const DATA_DIR = '/prometheus';
const CONFIG_DIR = '/etc/prometheus/config';
const RULES_DIR = '/etc/prometheus/rules';
/** The image's `nobody` user. */
const PROMETHEUS_UID = 65534;

const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '500m', memory: '2Gi' },
  limits: { cpu: '1', memory: '4Gi' },
};

/**
 * Prometheus as a single-replica StatefulSet with its TSDB on a
 * PersistentVolumeClaim, retention bounded by time and by size, pod discovery
 * through the Kubernetes API and read-only RBAC limited to what discovery needs.
 */
export class Prometheus extends Construct {
  /** In-cluster URL, for Grafana's datasource and remote-write clients. */
  public readonly url: string;
  public readonly serviceName = NAME;
  public readonly port = PROMETHEUS_PORT;
  /** Where remote-write clients push; only accepted with `enableRemoteWriteReceiver`. */
  public readonly remoteWriteUrl: string;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'metrics-server', image: IMAGES.prometheus }, ns);
    this.url = prometheusUrl(ns);
    this.remoteWriteUrl = `${this.url}/api/v1/write`;

    const config = prometheusConfig({
      scrapeInterval: props.scrapeInterval ?? PROMETHEUS_DEFAULTS.scrapeInterval,
      evaluationInterval: props.evaluationInterval ?? PROMETHEUS_DEFAULTS.evaluationInterval,
      externalLabels: props.externalLabels,
      ruleFilesGlob: `${RULES_DIR}/*.yaml`,
      jobs: [selfJob(PROMETHEUS_PORT), annotatedPodsJob(), cadvisorJob(), kubeletVolumesJob(), ...(props.extraScrapeJobs ?? [])],
      alertmanagers: props.alertmanagers,
      retention: { time: props.retention ?? PROMETHEUS_DEFAULTS.retention, size: prometheusSize(props.retentionSize ?? PROMETHEUS_DEFAULTS.retentionSize) },
    });
    const configYaml = toYaml(config);
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(`${NAME}-config`),
      data: { 'prometheus.yml': configYaml },
    });

    const serviceAccountName = clusterReadAccess(this, {
      name: NAME,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      rules: DISCOVERY_RULES,
    });

    // One ConfigMap per group keeps each under the 1 MiB object limit however many services the catalogue holds.
    const ruleFiles = (props.ruleGroups ?? []).map((group) => ({ name: group.name, yaml: ruleFileYaml([group]) }));
    const ruleConfigMaps = ruleFiles.map(
      (file) =>
        new k8s.KubeConfigMap(this, `rules-${file.name}`, {
          metadata: metadata(`${NAME}-rules-${file.name}`),
          data: { [`${file.name}.yaml`]: file.yaml },
        }),
    );
    const ruleVolume: k8s.Volume = {
      name: 'rules',
      projected: { sources: ruleConfigMaps.map((cm) => ({ configMap: { name: cm.name } })) },
    };

    const container = secureContainer({
      name: NAME,
      image: IMAGES.prometheus,
      args: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--storage.tsdb.path=${DATA_DIR}`,
        // Lets the Service URL appear in alert links instead of the pod's address.
        `--web.external-url=${this.url}`,
        ...(props.enableRemoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
        ...(props.enableExemplarStorage ? ['--enable-feature=exemplar-storage'] : []),
      ],
      ports: [{ name: 'http', containerPort: PROMETHEUS_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { path: '/-/healthy', port: 'http' },
      readiness: { path: '/-/ready', port: 'http' },
      // Replaying a large WAL after a restart can take minutes; allow 15 before liveness counts.
      startupFailureThreshold: 90,
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'rules', mountPath: RULES_DIR, readOnly: true },
      ],
    });

    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(NAME),
      selector,
      // A new config or rule set rolls the pod, so what runs is what is in dist/.
      annotations: { 'checksum/config': contentHash(configYaml, ...ruleFiles.map((f) => f.yaml)) },
      serviceAccountName,
      // Discovery talks to the API server, so this pod needs its token.
      automountServiceAccountToken: true,
      security: { runAsUser: PROMETHEUS_UID, fsGroup: PROMETHEUS_UID },
      // Room to finish the in-flight head compaction and close the WAL cleanly.
      terminationGracePeriodSeconds: 120,
      containers: [container],
      volumes: [configMapVolume('config', configMap.name), ruleVolume],
      volumeClaim: { name: 'data', size: props.storageSize ?? PROMETHEUS_DEFAULTS.storageSize, storageClassName: props.storageClassName },
    });

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: { selector, ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}
