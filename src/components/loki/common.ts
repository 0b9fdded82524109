import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { configMapVolume, PodTemplateOptions, ResourceSpec, scratchVolume, secureContainer } from '../../lib/workload';
import { RenderedRuleGroup, ruleFileYaml } from '../../kit/rule-model';

/**
 * What the single binary (loki.ts) and the HA replicas (loki-ha.ts) share: both run the monolithic target
 * (`-target=all`) of the same image behind the same `loki` Service, with the same config and rules
 * ConfigMaps, mounts and pod security. Only the config, the replica count and the ring differ.
 */

export const LOKI_HTTP_PORT = 3100;
export const LOKI_GRPC_PORT = 9095;
/** The path every Loki push URL ends with; the OTLP endpoint is the same host's /otlp. */
export const LOKI_PUSH_PATH = '/loki/api/v1/push';
export const LOKI_NAME = 'loki';
export const LOKI_DATA_DIR = '/var/loki';
export const LOKI_CONFIG_DIR = '/etc/loki';
/** The ruler's local rule store: one directory per tenant, and with auth disabled the tenant is `fake`. */
export const LOKI_RULES_DIR = '/etc/loki/rules';
/** The distroless image's user; fsGroup makes the volume writable for it. */
export const LOKI_UID = 10001;

/** Labels, selector and object metadata of the Loki objects in `namespace`. */
export function lokiIdentity(namespace: string) {
  return componentMeta({ name: LOKI_NAME, component: 'log-store', image: IMAGES.loki }, namespace);
}

/** The URLs clients use, the same for the single binary and HA. */
export function lokiEndpoints(namespace: string) {
  const url = `http://${LOKI_NAME}.${namespace}.svc:${LOKI_HTTP_PORT}`;
  /** `otlpUrl` is where an OpenTelemetry Collector's otlphttp exporter points (it appends /v1/logs). */
  return { url, pushUrl: `${url}${LOKI_PUSH_PATH}`, otlpUrl: `${url}/otlp` };
}

export function lokiScrapeJob(namespace: string): ScrapeJob {
  return componentScrapeJob({ job: LOKI_NAME, namespace, appName: LOKI_NAME, portName: 'http' });
}

export interface LokiConfigObjects {
  readonly configMap: k8s.KubeConfigMap;
  /** The ruler's rule files, one per group; none without recording rules. */
  readonly rulesConfigMap?: k8s.KubeConfigMap;
  /** Of the config and every rule file, for the pod template's `checksum/config`: a change restarts the pods. */
  readonly checksum: string;
}

/** The `loki-config` ConfigMap holding `configYaml`, and `loki-rules` with one file per recording rule group. */
export function lokiConfigObjects(
  scope: Construct,
  metadata: (name: string) => k8s.ObjectMeta,
  configYaml: string,
  recordingRules: readonly RenderedRuleGroup[],
): LokiConfigObjects {
  const configMap = new k8s.KubeConfigMap(scope, 'config', { metadata: metadata(`${LOKI_NAME}-config`), data: { 'loki.yaml': configYaml } });
  const rulesYaml = recordingRules.map((group) => ({ key: `${group.name}.yaml`, yaml: ruleFileYaml([group]) }));
  const rulesConfigMap =
    rulesYaml.length > 0
      ? new k8s.KubeConfigMap(scope, 'rules', {
          metadata: metadata(`${LOKI_NAME}-rules`),
          data: Object.fromEntries(rulesYaml.map((r) => [r.key, r.yaml])),
        })
      : undefined;
  return { configMap, rulesConfigMap, checksum: contentHash(configYaml, ...rulesYaml.map((r) => r.yaml)) };
}

/** The Loki container: the monolithic target, its config, the data volume and the recording rules of `tenant`. */
export function lokiContainer(opts: {
  resources: ResourceSpec;
  withRules: boolean;
  /** auth_enabled's tenant; the rule files go to its directory. @default `fake` (single tenant) */
  tenant?: string;
  extraArgs?: string[];
  env?: k8s.EnvVar[];
  extraPorts?: k8s.ContainerPort[];
}): k8s.Container {
  return secureContainer({
    name: LOKI_NAME,
    image: IMAGES.loki,
    args: [`-config.file=${LOKI_CONFIG_DIR}/loki.yaml`, '-target=all', ...(opts.extraArgs ?? [])],
    env: opts.env,
    ports: [{ name: 'http', containerPort: LOKI_HTTP_PORT }, { name: 'grpc', containerPort: LOKI_GRPC_PORT }, ...(opts.extraPorts ?? [])],
    resources: opts.resources,
    // /ready is false while the ingester joins the ring; liveness must not restart it for that.
    liveness: { tcpPort: 'http' },
    readiness: { path: '/ready', port: 'http' },
    // Replaying the WAL after a crash can take a few minutes.
    startupFailureThreshold: 30,
    volumeMounts: [
      { name: 'data', mountPath: LOKI_DATA_DIR },
      { name: 'config', mountPath: LOKI_CONFIG_DIR, readOnly: true },
      ...(opts.withRules ? [{ name: 'rules', mountPath: `${LOKI_RULES_DIR}/${opts.tenant ?? 'fake'}`, readOnly: true }] : []),
      { name: 'tmp', mountPath: '/tmp' },
    ],
  });
}

/** The pod around `container` but its labels, with the volumes `lokiContainer` mounts (the data volume is the StatefulSet's claim). */
export function lokiPod(opts: {
  serviceAccountName: string;
  container: k8s.Container;
  config: LokiConfigObjects;
  affinity?: k8s.Affinity;
}): Omit<PodTemplateOptions, 'labels'> {
  return {
    annotations: { 'checksum/config': opts.config.checksum },
    serviceAccountName: opts.serviceAccountName,
    automountServiceAccountToken: false,
    security: { runAsUser: LOKI_UID, fsGroup: LOKI_UID },
    // Time to flush in-memory chunks to the volume on shutdown.
    terminationGracePeriodSeconds: 300,
    affinity: opts.affinity,
    containers: [opts.container],
    volumes: [
      configMapVolume('config', opts.config.configMap.name),
      ...(opts.config.rulesConfigMap ? [configMapVolume('rules', opts.config.rulesConfigMap.name)] : []),
      scratchVolume('tmp'),
    ],
  };
}

/** The `loki` Service every client uses: HTTP (push, query, OTLP) and gRPC. */
export function lokiService(scope: Construct, metadata: (name: string) => k8s.ObjectMeta, selector: Record<string, string>): k8s.KubeService {
  return new k8s.KubeService(scope, 'service', {
    metadata: metadata(LOKI_NAME),
    spec: {
      selector,
      ports: [
        { name: 'http', port: LOKI_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http') },
        { name: 'grpc', port: LOKI_GRPC_PORT, targetPort: k8s.IntOrString.fromString('grpc') },
      ],
    },
  });
}

/** Loki never talks to the API server: its ServiceAccount has no token and no role. */
export function lokiServiceAccount(scope: Construct, metadata: (name: string) => k8s.ObjectMeta): string {
  return new k8s.KubeServiceAccount(scope, 'service-account', { metadata: metadata(LOKI_NAME), automountServiceAccountToken: false }).name;
}
