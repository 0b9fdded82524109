import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { RenderedRuleGroup, ruleFileYaml } from '../../kit/rule-model';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { ResourceSpec, secureContainer } from '../../lib/workload';
import { singleReplicaDeployment } from '../../lib/single-replica';
import { PROMETHEUS_DEFAULTS } from '../prometheus/prometheus';

export const VMALERT_PORT = 8880;
const NAME = 'vmalert';
const RULES_DIR = '/etc/vmalert/rules';
const VM_UID = 65534;
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};

/**
 * The defaults of VmAlertProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const VMALERT_DEFAULTS = {
  // vmalert evaluates Prometheus' rule groups in its place, at the same interval.
  evaluationInterval: PROMETHEUS_DEFAULTS.evaluationInterval,
} as const;

export interface VmAlertProps {
  readonly namespace: string;
  /** The rule groups Prometheus would evaluate; the same files, unchanged. */
  readonly ruleGroups: readonly RenderedRuleGroup[];
  /** Prometheus-compatible query URL rules are evaluated against (-datasource.url). */
  readonly datasourceUrl: string;
  /** Where recording-rule results and alert state (ALERTS, ALERTS_FOR_STATE) are written (-remoteWrite.url, base URL). */
  readonly remoteWriteUrl: string;
  /** Alertmanager (-notifier.url). @default none: alerts are evaluated but not sent (-notifier.blackhole). */
  readonly alertmanagerUrl?: string;
  /** @default '30s' */
  readonly evaluationInterval?: string;
  /** Labels on every alert and recorded series (`cluster`, `environment`). */
  readonly externalLabels: Readonly<Record<string, string>>;
  /** @default 100m/128Mi requests, 500m/512Mi limits */
  readonly resources?: ResourceSpec;
}

/**
 * vmalert evaluates the stack's rule groups against VictoriaMetrics: the same
 * rule files Prometheus would load (vmalert reads Prometheus' rule format),
 * recording-rule results written back by remote write, and alert state
 * restored from the store after a restart (-remoteRead.url).
 */
export class VmAlert extends Construct {
  public readonly scrapeJob: ScrapeJob;
  public readonly url: string;
  public readonly ruleFiles: ReadonlyArray<{ name: string; yaml: string }>;

  constructor(scope: Construct, id: string, props: VmAlertProps) {
    super(scope, id);
    const ns = props.namespace;
    const { selector, metadata } = componentMeta({ name: NAME, component: 'rule-evaluator', image: IMAGES.vmalert }, ns);
    this.url = `http://${NAME}.${ns}.svc:${VMALERT_PORT}`;

    // One ConfigMap per group, like Prometheus: each stays under the 1 MiB object limit.
    this.ruleFiles = props.ruleGroups.map((group) => ({ name: group.name, yaml: ruleFileYaml([group]) }));
    const configMaps = this.ruleFiles.map(
      (file) =>
        new k8s.KubeConfigMap(this, `rules-${file.name}`, {
          metadata: metadata(`${NAME}-rules-${file.name}`),
          data: { [`${file.name}.yaml`]: file.yaml },
        }),
    );
    new k8s.KubeServiceAccount(this, 'service-account', { metadata: metadata(NAME), automountServiceAccountToken: false });

    const notifier = props.alertmanagerUrl
      ? [`-notifier.url=${props.alertmanagerUrl}`]
      : // No Alertmanager (alerting.engine "grafana" leaves vmalert the recording rules only): vmalert refuses alerting
        // rules without a notifier, and blackhole says explicitly that nothing is delivered from here; an alert it
        // evaluated anyway would stay visible in its UI and the ALERTS series.
        ['-notifier.blackhole'];
    const container = secureContainer({
      name: NAME,
      image: IMAGES.vmalert,
      args: [
        `-rule=${RULES_DIR}/*.yaml`,
        `-datasource.url=${props.datasourceUrl}`,
        `-remoteWrite.url=${props.remoteWriteUrl}`,
        // Restores the `for` state of pending and firing alerts after a restart, so a restart never resets a timer.
        `-remoteRead.url=${props.datasourceUrl}`,
        ...notifier,
        `-evaluationInterval=${props.evaluationInterval ?? VMALERT_DEFAULTS.evaluationInterval}`,
        ...Object.entries(props.externalLabels).map(([k, v]) => `-external.label=${k}=${v}`),
        `-external.url=${this.url}`,
        `-httpListenAddr=:${VMALERT_PORT}`,
        '-loggerFormat=json',
      ],
      ports: [{ name: 'http', containerPort: VMALERT_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { tcpPort: 'http' },
      readiness: { path: '/health', port: 'http' },
      volumeMounts: [{ name: 'rules', mountPath: RULES_DIR, readOnly: true }],
    });
    // Two replicas would send every alert twice and write every recording rule twice.
    singleReplicaDeployment(this, 'deployment', {
      metadata: metadata(NAME),
      selector,
      annotations: { 'checksum/config': contentHash(...this.ruleFiles.map((f) => f.yaml)) },
      serviceAccountName: NAME,
      automountServiceAccountToken: false,
      security: { runAsUser: VM_UID },
      containers: [container],
      volumes: [{ name: 'rules', projected: { sources: configMaps.map((cm) => ({ configMap: { name: cm.name } })) } }],
    });
    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: { selector, ports: [{ name: 'http', port: VMALERT_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
    this.scrapeJob = componentScrapeJob({ job: NAME, namespace: ns, appName: NAME, portName: 'http' });
  }
}
