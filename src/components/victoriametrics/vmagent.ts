import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { clusterReadAccess } from '../../lib/rbac';
import { componentMeta } from '../../lib/labels';
import { ScrapeJob } from '../../lib/scrape';
import { configMapVolume, ResourceSpec, secureContainer } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';
import { toYaml } from '../../lib/yaml';
import { sizeBytes } from '../../lib/units';
import { annotatedPodsJob, cadvisorJob, DISCOVERY_RULES, kubeletVolumesJob } from '../prometheus/scrape-config';
import { PROMETHEUS_DEFAULTS } from '../prometheus/prometheus';

export const VMAGENT_PORT = 8429;
const NAME = 'vmagent';
const CONFIG_DIR = '/etc/vmagent';
const BUFFER_DIR = '/vmagent-data';
const VM_UID = 65534;
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '250m', memory: '512Mi' },
  limits: { cpu: '1', memory: '1Gi' },
};

/**
 * The defaults of VmAgentProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const VMAGENT_DEFAULTS = {
  // vmagent runs Prometheus' scrape jobs in its place, at the same interval.
  scrapeInterval: PROMETHEUS_DEFAULTS.scrapeInterval,
  bufferSize: '10Gi',
} as const;

export interface VmAgentProps {
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  /** @default '15s' */
  readonly scrapeInterval?: string;
  /** Added to every series (`cluster`, `environment`), like Prometheus' external_labels. */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Jobs of the stack's exporters; the annotated-pods, cAdvisor and self jobs are always added. */
  readonly extraScrapeJobs?: readonly ScrapeJob[];
  /** Where every sample goes (-remoteWrite.url). */
  readonly remoteWriteUrl: string;
  /** On-disk buffer for samples the remote end has not accepted yet. @default '10Gi' */
  readonly bufferSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 250m/512Mi requests, 1 CPU/1Gi limits */
  readonly resources?: ResourceSpec;
}

/** vmagent's -promscrape.config: Prometheus' scrape_configs, with vmagent scraping itself (job `vmagent`) instead of Prometheus. */
export function vmagentScrapeConfig(opts: {
  scrapeInterval: string;
  externalLabels: Readonly<Record<string, string>>;
  jobs: readonly ScrapeJob[];
}): Record<string, unknown> {
  const jobs = [{ job_name: NAME, static_configs: [{ targets: [`localhost:${VMAGENT_PORT}`] }] }, annotatedPodsJob(), cadvisorJob(), kubeletVolumesJob(), ...opts.jobs];
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.job_name)) throw new Error(`vmagent: scrape job "${job.job_name}" is defined twice`);
    names.add(job.job_name);
  }
  return {
    global: { scrape_interval: opts.scrapeInterval, external_labels: { ...opts.externalLabels } },
    scrape_configs: jobs,
  };
}

/**
 * vmagent: scrapes the same jobs Prometheus would (pod discovery through the
 * Kubernetes API) and remote-writes everything to one URL: the
 * VictoriaMetrics of this cluster, or the central cluster's endpoint when this
 * one is an agent. Unsent samples wait in an on-disk buffer on a
 * PersistentVolumeClaim, so an outage of the remote end or a restart delays
 * data instead of losing it.
 */
export class VmAgent extends Construct {
  public readonly configYaml: string;

  constructor(scope: Construct, id: string, props: VmAgentProps) {
    super(scope, id);
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'metrics-agent', image: IMAGES.vmagent }, ns);

    this.configYaml = toYaml(
      vmagentScrapeConfig({
        scrapeInterval: props.scrapeInterval ?? VMAGENT_DEFAULTS.scrapeInterval,
        externalLabels: props.externalLabels,
        jobs: props.extraScrapeJobs ?? [],
      }),
    );
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: metadata(`${NAME}-config`), data: { 'scrape.yml': this.configYaml } });
    const serviceAccountName = clusterReadAccess(this, {
      name: NAME,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      // The same jobs as Prometheus, so the same discovery.
      rules: DISCOVERY_RULES,
    });

    const container = secureContainer({
      name: NAME,
      image: IMAGES.vmagent,
      args: [
        `-promscrape.config=${CONFIG_DIR}/scrape.yml`,
        // An unknown field is an error, as with Prometheus, instead of being ignored.
        '-promscrape.config.strictParse',
        `-remoteWrite.url=${props.remoteWriteUrl}`,
        `-remoteWrite.tmpDataPath=${BUFFER_DIR}`,
        // Leave room on the volume for the queue's own bookkeeping.
        `-remoteWrite.maxDiskUsagePerURL=${Math.floor(sizeBytes(props.bufferSize ?? VMAGENT_DEFAULTS.bufferSize) * 0.9)}`,
        `-httpListenAddr=:${VMAGENT_PORT}`,
        '-loggerFormat=json',
      ],
      ports: [{ name: 'http', containerPort: VMAGENT_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { tcpPort: 'http' },
      readiness: { path: '/health', port: 'http' },
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'buffer', mountPath: BUFFER_DIR },
      ],
    });

    // Two replicas would scrape every target twice; one with a disk buffer is the upstream's single-cluster shape.
    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(NAME),
      selector,
      annotations: { 'checksum/config': contentHash(this.configYaml) },
      serviceAccountName,
      // Discovery talks to the API server, so this pod needs its token.
      automountServiceAccountToken: true,
      security: { runAsUser: VM_UID, fsGroup: VM_UID },
      containers: [container],
      volumes: [configMapVolume('config', configMap.name)],
      // Only samples not sent yet, no history: the manifest leaves the claim's retention to Kubernetes' default.
      volumeClaim: { name: 'buffer', size: props.bufferSize ?? VMAGENT_DEFAULTS.bufferSize, storageClassName: props.storageClassName, retain: false },
    });
    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: { selector, ports: [{ name: 'http', port: VMAGENT_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}
