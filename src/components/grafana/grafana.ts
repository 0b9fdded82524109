import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { toYaml } from '../../lib/yaml';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { configMapVolume, ResourceSpec, scratchVolume, secureContainer } from '../../lib/workload';
import { singleReplicaStatefulSet } from '../../lib/single-replica';
import { datasourceLinkProblems } from './correlation';

import type { GrafanaDatasource } from '../../kit/grafana-datasource';

export type { GrafanaDatasource };

/**
 * The defaults of GrafanaProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const GRAFANA_DEFAULTS = {
  anonymousViewer: true,
  storageSize: '5Gi',
} as const;

export interface GrafanaProps {
  readonly namespace: string;
  /** Existing Secret with the admin credentials; the stack never creates it. */
  readonly adminSecret: { readonly name: string; readonly userKey: string; readonly passwordKey: string };
  /** @default true: anonymous visitors can view dashboards as Viewer, never more. */
  readonly anonymousViewer?: boolean;
  readonly datasources: readonly GrafanaDatasource[];
  /** ConfigMaps holding one dashboard JSON each (see GrafanaDashboard). */
  readonly dashboardConfigMaps: readonly string[];
  /** @default '5Gi' */
  readonly storageSize?: string;
  readonly storageClassName?: string;
  /** @default 100m/256Mi requests, 500m/512Mi limits */
  readonly resources?: ResourceSpec;
  /**
   * Extra environment, typically datasource passwords from Secrets that the
   * provisioning files reference as `$__env{NAME}`. @default none
   */
  readonly extraEnv?: readonly k8s.EnvVar[];
  /**
   * Grafana-managed alerting: provisioning files (file name to YAML) mounted into
   * provisioning/alerting, and the Secret of the contact points' credentials, mounted
   * at `secretDir` for the files' `$__file{...}` references. @default none
   */
  readonly alerting?: {
    readonly files: Readonly<Record<string, string>>;
    readonly secretName: string;
    readonly secretDir: string;
    /** Grafana settings the contact points need, such as the SMTP server of email ones. @default none */
    readonly env?: readonly k8s.EnvVar[];
  };
  /** @default none: Grafana is reached by port-forward or your own routing */
  readonly ingress?: GrafanaIngress;
}

/** How users reach Grafana from outside the cluster: an Ingress to its Service. */
export interface GrafanaIngress {
  /** The host name users open, e.g. `grafana.example.com`. */
  readonly host: string;
  /** The IngressClass. @default the cluster's default IngressClass */
  readonly className?: string;
  /** Existing Secret (in Grafana's namespace) with the certificate for `host`; HTTPS when set. @default HTTP (no TLS) */
  readonly tlsSecretName?: string;
  /** Annotations for the ingress controller (or cert-manager). @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

export const GRAFANA_PORT = 3000;
const NAME = 'grafana';
/** The image's `grafana` user. */
const GRAFANA_UID = 472;
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '500m', memory: '512Mi' },
};

/**
 * Grafana with provisioned datasources and dashboards, its database on a
 * PersistentVolumeClaim (annotations and alert state survive restarts), and
 * anonymous access limited to the Viewer role.
 */
export class Grafana extends Construct {
  public readonly url: string;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const ns = props.namespace;
    const { selector, metadata } = componentMeta({ name: NAME, component: 'dashboards', image: IMAGES.grafana }, ns);
    this.url = `http://${NAME}.${ns}.svc:${GRAFANA_PORT}`;

    const defaults = props.datasources.filter((d) => d.isDefault);
    if (defaults.length !== 1) {
      throw new Error(`Grafana needs exactly one default datasource, got ${defaults.length}: ${defaults.map((d) => d.name).join(', ')}`);
    }

    // A correlation link to a missing uid fails silently in the UI (the button just does nothing): refuse it here.
    const brokenLinks = datasourceLinkProblems(props.datasources);
    if (brokenLinks.length > 0) throw new Error(`Grafana datasource links point nowhere:\n  ${brokenLinks.join('\n  ')}`);
    const uids = props.datasources.map((d) => d.uid);
    const duplicate = uids.find((uid, i) => uids.indexOf(uid) !== i);
    if (duplicate) throw new Error(`Grafana datasource uid "${duplicate}" is used twice; each datasource needs its own uid`);

    const datasourcesYaml = toYaml({ apiVersion: 1, datasources: props.datasources });
    const dashboardsYaml = toYaml(
      {
        apiVersion: 1,
        providers: [
          {
            name: 'observability-platform',
            orgId: 1,
            folder: 'Observability platform',
            type: 'file',
            // Dashboards are code: edits in the UI would be lost at the next sync, so refuse them.
            disableDeletion: true,
            allowUiUpdates: false,
            updateIntervalSeconds: 60,
            options: { path: '/var/lib/grafana-dashboards', foldersFromFilesStructure: false },
          },
        ],
      },
    );
    const provisioning = new k8s.KubeConfigMap(this, 'provisioning', {
      metadata: metadata(`${NAME}-provisioning`),
      data: { 'datasources.yaml': datasourcesYaml, 'dashboards.yaml': dashboardsYaml },
    });

    const alerting = props.alerting;
    const alertingConfigMap = alerting
      ? new k8s.KubeConfigMap(this, 'alerting', { metadata: metadata(`${NAME}-alerting`), data: { ...alerting.files } })
      : undefined;

    const sa = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: metadata(NAME),
      automountServiceAccountToken: false,
    });

    const env: k8s.EnvVar[] = [
      { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: props.adminSecret.name, key: props.adminSecret.userKey } } },
      {
        name: 'GF_SECURITY_ADMIN_PASSWORD',
        valueFrom: { secretKeyRef: { name: props.adminSecret.name, key: props.adminSecret.passwordKey } },
      },
      { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: String(props.anonymousViewer ?? GRAFANA_DEFAULTS.anonymousViewer) },
      // Anonymous visitors may look, never edit (anonymous Viewer serves public dashboards).
      { name: 'GF_AUTH_ANONYMOUS_ORG_ROLE', value: 'Viewer' },
      { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
      // Behind an Ingress, Grafana builds redirects and links (alert notifications, share links) from its public URL.
      ...(props.ingress
        ? [
            { name: 'GF_SERVER_DOMAIN', value: props.ingress.host },
            { name: 'GF_SERVER_ROOT_URL', value: `${props.ingress.tlsSecretName ? 'https' : 'http'}://${props.ingress.host}/` },
          ]
        : []),
      { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
      { name: 'GF_PATHS_DATA', value: '/var/lib/grafana' },
      // No calls home from inside the cluster.
      { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
      { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
      { name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' },
      ...(props.alerting?.env ?? []),
      ...(props.extraEnv ?? []),
    ];

    const container = secureContainer({
      name: NAME,
      image: IMAGES.grafana,
      env,
      ports: [{ name: 'http', containerPort: GRAFANA_PORT }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { path: '/api/health', port: 'http' },
      readiness: { path: '/api/health', port: 'http' },
      // Database migrations on an upgrade can take a few minutes.
      startupFailureThreshold: 30,
      volumeMounts: [
        { name: 'data', mountPath: '/var/lib/grafana' },
        { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
        { name: 'dashboard-providers', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
        { name: 'dashboards', mountPath: '/var/lib/grafana-dashboards', readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
        ...(alerting
          ? [
              { name: 'alerting', mountPath: '/etc/grafana/provisioning/alerting', readOnly: true },
              { name: 'alerting-secrets', mountPath: alerting.secretDir, readOnly: true },
            ]
          : []),
      ],
    });

    singleReplicaStatefulSet(this, 'statefulset', {
      metadata: metadata(NAME),
      selector,
      annotations: {
        'checksum/config': contentHash(datasourcesYaml, dashboardsYaml, ...Object.values(alerting?.files ?? {})),
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(GRAFANA_PORT),
      },
      serviceAccountName: sa.name,
      automountServiceAccountToken: false,
      // Lets in-flight SQLite writes (annotations, alert state) commit before the volume is detached.
      terminationGracePeriodSeconds: 60,
      security: { runAsUser: GRAFANA_UID, fsGroup: GRAFANA_UID },
      containers: [container],
      volumes: [
        {
          name: 'datasources',
          configMap: { name: provisioning.name, items: [{ key: 'datasources.yaml', path: 'datasources.yaml' }] },
        },
        {
          name: 'dashboard-providers',
          configMap: { name: provisioning.name, items: [{ key: 'dashboards.yaml', path: 'dashboards.yaml' }] },
        },
        { name: 'dashboards', projected: { sources: props.dashboardConfigMaps.map((name) => ({ configMap: { name } })) } },
        scratchVolume('tmp'),
        ...(alertingConfigMap && alerting
          ? [
              configMapVolume('alerting', alertingConfigMap.name),
              { name: 'alerting-secrets', secret: { secretName: alerting.secretName, defaultMode: 0o440 } },
            ]
          : []),
      ],
      volumeClaim: { name: 'data', size: props.storageSize ?? GRAFANA_DEFAULTS.storageSize, storageClassName: props.storageClassName },
    });

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: { selector, ports: [{ name: 'http', port: GRAFANA_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });

    const ingress = props.ingress;
    if (ingress) {
      const meta = metadata(NAME);
      new k8s.KubeIngress(this, 'ingress', {
        metadata: { ...meta, annotations: ingress.annotations ? { ...ingress.annotations } : undefined },
        spec: {
          ingressClassName: ingress.className,
          tls: ingress.tlsSecretName ? [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] : undefined,
          rules: [
            {
              host: ingress.host,
              http: {
                paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { name: 'http' } } } }],
              },
            },
          ],
        },
      });
    }
  }
}
