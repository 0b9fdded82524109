import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { contentHash } from '../../lib/hash';
import { IMAGES, ImageRef } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { clusterReadAccess } from '../../lib/rbac';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { ResourceSpec, restrictedPodSecurity, secureContainer } from '../../lib/workload';
import { logPipeline, POD_LOG_DIR, Stage } from './pipeline';
import { alloyConfig, PROMTAIL_POSITIONS_FILE, promtailConfigYaml } from './render';

export type LogAgentKind = 'promtail' | 'alloy';

/**
 * The defaults of LogAgentProps, written once: the construct falls back to them, and
 * test/defaults.test.ts holds the config's defaults and every `@default` below to the same values.
 */
export const LOG_AGENT_DEFAULTS = {
  agent: 'promtail',
  postgresApps: ['postgres'],
} as const;

export interface LogAgentProps {
  /** The node-agents namespace: reading the node's log files needs hostPath, not allowed in the restricted one. */
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  readonly priorityClassName: string;
  /**
   * Which agent runs the pipeline.
   * @default 'promtail' (what the design names; end-of-life since 2026-03-02, see the README)
   */
  readonly agent?: LogAgentKind;
  /** Loki's push endpoint. */
  readonly pushUrl: string;
  /** Loki tenant (X-Scope-OrgID) of this cluster's logs, for a multi-tenant Loki. @default none */
  readonly tenantId?: string;
  /** @default ['postgres'] */
  readonly postgresApps?: readonly string[];
  /** @default 50m/128Mi requests, 500m/256Mi limits */
  readonly resources?: ResourceSpec;
}

const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

interface AgentFlavour {
  readonly name: string;
  readonly image: ImageRef;
  readonly port: number;
  readonly configFile: string;
  readonly readinessPath: string;
  readonly args: (configPath: string, stateDir: string) => string[];
  readonly config: (stages: readonly Stage[], pushUrl: string, stateDir: string, tenantId?: string) => string;
  /** The other agent whose read positions this one imports at its first start on a node. */
  readonly importsPositionsOf?: LogAgentKind;
}

const FLAVOURS: Record<LogAgentKind, AgentFlavour> = {
  promtail: {
    name: 'promtail',
    image: IMAGES.promtail,
    port: 3101,
    configFile: 'promtail.yaml',
    readinessPath: '/ready',
    args: (configPath) => [`-config.file=${configPath}`],
    config: (stages, pushUrl, stateDir, tenantId) => promtailConfigYaml({ stages, pushUrl, tenantId, httpPort: 3101, stateDir }),
  },
  alloy: {
    name: 'alloy',
    image: IMAGES.alloy,
    port: 12345,
    configFile: 'config.alloy',
    readinessPath: '/-/ready',
    args: (configPath, stateDir) => [
      'run',
      configPath,
      `--storage.path=${stateDir}`,
      '--server.http.listen-addr=0.0.0.0:12345',
      '--disable-reporting',
    ],
    config: (stages, pushUrl, stateDir, tenantId) =>
      alloyConfig({ stages, pushUrl, tenantId, httpPort: 12345, stateDir, legacyPositionsFile: `${IMPORTED_STATE_DIR}/${PROMTAIL_POSITIONS_FILE}` }),
    importsPositionsOf: 'promtail',
  },
};

/** Inside the container; on the node it is a per-namespace directory (see hostStateDir). */
export const AGENT_STATE_DIR = '/var/lib/log-agent';
/** Inside the container, read-only: the state directory of the agent this one took over from (see importsPositionsOf). */
export const IMPORTED_STATE_DIR = '/var/lib/log-agent-previous';
const CONFIG_DIR = '/etc/log-agent';

/**
 * Where the agent keeps its read positions on the node. Under /var/lib, not
 * /run, so a node reboot does not make it re-send every file still on disk;
 * one directory per namespace and agent, so two environments (or a switch
 * from Promtail to Alloy) on the same node never share a positions file.
 */
export function hostStateDir(namespace: string, agent: LogAgentKind): string {
  return `/var/lib/observability-platform/${namespace}/${agent}`;
}

/**
 * The node log agent: a DaemonSet on every node, control plane included,
 * that discovers pods through the Kubernetes API, tails their CRI log files
 * under /var/log/pods and pushes them through the pipeline (pipeline.ts) to Loki.
 *
 * Exceptions to the restricted profile, each needed to read the node's logs:
 * - it runs as root (uid 0): the kubelet writes the log files as root with mode 0640;
 *   with every capability dropped, root reads them as their owner and can do nothing else;
 * - read-only hostPath /var/log/pods: the log files;
 * - read-write hostPath for the read positions (see hostStateDir), so a restart neither
 *   loses nor re-sends lines.
 */
export class LogAgent extends Construct {
  public readonly scrapeJob: ScrapeJob;
  public readonly agent: LogAgentKind;
  public readonly stages: readonly Stage[];
  /** The rendered agent configuration (Promtail YAML or Alloy text). */
  public readonly configText: string;

  constructor(scope: Construct, id: string, props: LogAgentProps) {
    super(scope, id);
    this.agent = props.agent ?? LOG_AGENT_DEFAULTS.agent;
    const flavour = FLAVOURS[this.agent];
    if (!flavour) throw new Error(`LogAgent: agent "${String(props.agent)}" is not supported; allowed: ${Object.keys(FLAVOURS).join(', ')}`);
    const name = flavour.name;
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name, component: 'log-agent', image: flavour.image }, ns);

    this.stages = logPipeline({ postgresApps: props.postgresApps ?? LOG_AGENT_DEFAULTS.postgresApps });
    this.configText = flavour.config(this.stages, props.pushUrl, AGENT_STATE_DIR, props.tenantId);
    const configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: metadata(`${name}-config`),
      data: { [flavour.configFile]: this.configText },
    });

    const serviceAccountName = clusterReadAccess(this, {
      name,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      // Pod discovery only: namespace, name, labels, node and uid all come from the pod object.
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });

    const base = secureContainer({
      name,
      image: flavour.image,
      args: flavour.args(`${CONFIG_DIR}/${flavour.configFile}`, AGENT_STATE_DIR),
      // Both agents keep only this node's pods: Promtail compares __host__ with HOSTNAME, Alloy selects on it.
      env: [{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      ports: [{ name: 'http', containerPort: flavour.port }],
      resources: props.resources ?? DEFAULT_RESOURCES,
      liveness: { tcpPort: 'http' },
      readiness: { path: flavour.readinessPath, port: 'http' },
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'pod-logs', mountPath: POD_LOG_DIR, readOnly: true },
        // Read-write on purpose: the read positions must outlive the pod (see hostStateDir).
        { name: 'state', mountPath: AGENT_STATE_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        ...(flavour.importsPositionsOf ? [{ name: 'previous-state', mountPath: IMPORTED_STATE_DIR, readOnly: true }] : []),
      ],
    });
    // Exception: root, to read the kubelet's root-owned 0640 log files (see the class comment).
    const container: k8s.Container = { ...base, securityContext: { ...base.securityContext, runAsUser: 0, runAsGroup: 0, runAsNonRoot: false } };

    new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: metadata(name),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
        template: {
          metadata: { labels, annotations: { 'checksum/config': contentHash(this.configText) } },
          spec: {
            serviceAccountName,
            // Pod discovery talks to the API server.
            automountServiceAccountToken: true,
            priorityClassName: props.priorityClassName,
            // Every node, control plane included: logs of a node we do not tail are logs we never see.
            tolerations: [{ operator: 'Exists' }],
            // Exception: root (see the class comment); seccomp stays RuntimeDefault.
            securityContext: { ...restrictedPodSecurity({ runAsUser: 0 }), runAsNonRoot: false },
            containers: [container],
            volumes: [
              { name: 'config', configMap: { name: configMap.name } },
              { name: 'pod-logs', hostPath: { path: POD_LOG_DIR, type: 'Directory' } },
              { name: 'state', hostPath: { path: hostStateDir(ns, this.agent), type: 'DirectoryOrCreate' } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              // DirectoryOrCreate: on a node that never ran the previous agent, an empty directory, and nothing to import.
              ...(flavour.importsPositionsOf
                ? [{ name: 'previous-state', hostPath: { path: hostStateDir(ns, flavour.importsPositionsOf), type: 'DirectoryOrCreate' } }]
                : []),
            ],
          },
        },
      },
    });

    this.scrapeJob = componentScrapeJob({ job: name, namespace: ns, appName: name, portName: 'http' });
  }
}
