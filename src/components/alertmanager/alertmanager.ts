import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { toYaml } from '../../lib/yaml';
import { configMapVolume, ResourceSpec, secureContainer } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';
import { alertmanagerConfig } from './alertmanager-config';
import { RoutingOptions } from './routing';

/**
 * The defaults of AlertmanagerProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const ALERTMANAGER_DEFAULTS = {
  retention: '120h',
  storageSize: '1Gi',
} as const;

export interface AlertmanagerProps extends RoutingOptions {
  readonly namespace: string;
  /** Existing Secret with the receivers' credentials; mounted read-only, never created here. */
  readonly secret: {
    readonly name: string;
    readonly pagerdutyRoutingKeyKey: string;
    readonly slackWebhookUrlKey: string;
    readonly telegramBotTokenKey: string;
    readonly deadmanWebhookUrlKey: string;
  };
  /** @default '120h' */
  readonly retention?: string;
  /** @default '1Gi' */
  readonly storageSize?: string;
  readonly storageClassName?: string;
  /** @default 50m/64Mi requests, 200m/256Mi limits */
  readonly resources?: ResourceSpec;
}

export const ALERTMANAGER_PORT = 9093;
const NAME = 'alertmanager';
/** The image's `nobody` user. */
const UID = 65534;
const SECRET_DIR = '/etc/alertmanager/secrets';
const CONFIG_DIR = '/etc/alertmanager/config';
const DEFAULT_RESOURCES: ResourceSpec = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } };

/**
 * Alertmanager: one replica, silences and the notification
 * log on a PersistentVolumeClaim so a restart neither forgets silences nor
 * re-sends what was already sent. Prometheus reaches it through `url`.
 */
export class Alertmanager extends Construct {
  public readonly url: string;
  /** The rendered alertmanager.yml, for `amtool check-config`. */
  public readonly configYaml: string;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    const ns = props.namespace;
    const { selector, metadata } = componentMeta({ name: NAME, component: 'alerting', image: IMAGES.alertmanager }, ns);
    this.url = `http://${NAME}.${ns}.svc:${ALERTMANAGER_PORT}`;

    this.configYaml = toYaml(
      alertmanagerConfig({
        ...props,
        secretDir: SECRET_DIR,
        keys: {
          pagerdutyRoutingKey: props.secret.pagerdutyRoutingKeyKey,
          slackWebhookUrl: props.secret.slackWebhookUrlKey,
          telegramBotToken: props.secret.telegramBotTokenKey,
          deadmanWebhookUrl: props.secret.deadmanWebhookUrlKey,
        },
      }),
    );
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(`${NAME}-config`),
      data: { 'alertmanager.yml': this.configYaml },
    });
    // Alertmanager reads every credential from this read-only mount itself; no process edits its config.
    const secretMount = { name: 'secrets', mountPath: SECRET_DIR, readOnly: true };

    const container = secureContainer({
      name: NAME,
      image: IMAGES.alertmanager,
      args: [
        `--config.file=${CONFIG_DIR}/alertmanager.yml`,
        '--storage.path=/alertmanager',
        `--data.retention=${props.retention ?? ALERTMANAGER_DEFAULTS.retention}`,
        `--web.external-url=${this.url}`,
        // A single replica: no gossip peers to find.
        '--cluster.listen-address=',
      ],
      ports: [{ name: 'http', containerPort: ALERTMANAGER_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { path: '/-/healthy', port: 'http' },
      readiness: { path: '/-/ready', port: 'http' },
      volumeMounts: [
        { name: 'data', mountPath: '/alertmanager' },
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        secretMount,
      ],
    });

    // Its own account, without a token: Alertmanager never calls the Kubernetes API.
    const serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: metadata(NAME),
      automountServiceAccountToken: false,
    });

    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(NAME),
      selector,
      annotations: {
        'checksum/config': contentHash(this.configYaml),
        // Scraped by the annotated-pods job, like Grafana: its notification metrics feed the stack-health view.
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(ALERTMANAGER_PORT),
      },
      serviceAccountName: serviceAccount.name,
      automountServiceAccountToken: false,
      security: { runAsUser: UID, fsGroup: UID },
      containers: [container],
      volumes: [
        configMapVolume('config', configMap.name),
        // 0440 is enough: the process reads the files, and fsGroup makes them readable to it.
        { name: 'secrets', secret: { secretName: props.secret.name, defaultMode: 0o440 } },
      ],
      volumeClaim: { name: 'data', size: props.storageSize ?? ALERTMANAGER_DEFAULTS.storageSize, storageClassName: props.storageClassName },
    });

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: { selector, ports: [{ name: 'http', port: ALERTMANAGER_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}
