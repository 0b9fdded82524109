import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES } from '../../lib/images';
import { componentMeta } from '../../lib/labels';
import { clusterReadAccess } from '../../lib/rbac';
import { componentScrapeJob, ScrapeJob } from '../../lib/scrape';
import { ResourceSpec, secureContainer } from '../../lib/workload';
import { singleReplicaDeployment } from '../../lib/single-replica';

/**
 * The Kubernetes objects kube-state-metrics exports, and the API resources its
 * RBAC may list. One table drives both the `--resources` flag and the
 * ClusterRole, so the permissions are exactly what is exported.
 */
const EXPORTED_RESOURCES: ReadonlyArray<{ flag: string; apiGroup: string; resource: string }> = [
  { flag: 'cronjobs', apiGroup: 'batch', resource: 'cronjobs' },
  { flag: 'daemonsets', apiGroup: 'apps', resource: 'daemonsets' },
  { flag: 'deployments', apiGroup: 'apps', resource: 'deployments' },
  { flag: 'jobs', apiGroup: 'batch', resource: 'jobs' },
  { flag: 'namespaces', apiGroup: '', resource: 'namespaces' },
  { flag: 'nodes', apiGroup: '', resource: 'nodes' },
  { flag: 'persistentvolumeclaims', apiGroup: '', resource: 'persistentvolumeclaims' },
  { flag: 'persistentvolumes', apiGroup: '', resource: 'persistentvolumes' },
  { flag: 'pods', apiGroup: '', resource: 'pods' },
  { flag: 'replicasets', apiGroup: 'apps', resource: 'replicasets' },
  { flag: 'statefulsets', apiGroup: 'apps', resource: 'statefulsets' },
];

export interface KubeStateMetricsProps {
  readonly namespace: string;
  readonly clusterScopedPrefix: string;
  /** @default 50m/128Mi requests, 200m/256Mi limits: enough for a few thousand objects. */
  readonly resources?: ResourceSpec;
}

const NAME = 'kube-state-metrics';
const DEFAULT_RESOURCES: ResourceSpec = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { cpu: '200m', memory: '256Mi' },
};

/** kube-state-metrics: pod readiness, restarts, deployment health and the like, as metrics. */
export class KubeStateMetrics extends Construct {
  public readonly scrapeJob: ScrapeJob;

  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    super(scope, id);
    const ns = props.namespace;
    const { labels, selector, metadata } = componentMeta({ name: NAME, component: 'exporter', image: IMAGES.kubeStateMetrics }, ns);

    const byGroup = new Map<string, string[]>();
    for (const r of EXPORTED_RESOURCES) byGroup.set(r.apiGroup, [...(byGroup.get(r.apiGroup) ?? []), r.resource]);
    const serviceAccountName = clusterReadAccess(this, {
      name: NAME,
      namespace: ns,
      clusterScopedPrefix: props.clusterScopedPrefix,
      labels,
      rules: [...byGroup.entries()].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: ['list', 'watch'] })),
    });

    singleReplicaDeployment(this, 'deployment', {
      metadata: metadata(NAME),
      selector,
      serviceAccountName,
      // It lists and watches the API, so it needs its token.
      automountServiceAccountToken: true,
      security: { runAsUser: 65534 },
      containers: [
        secureContainer({
          name: NAME,
          image: IMAGES.kubeStateMetrics,
          args: [`--resources=${EXPORTED_RESOURCES.map((r) => r.flag).join(',')}`, '--port=8080', '--telemetry-port=8081'],
          ports: [
            { name: 'metrics', containerPort: 8080 },
            { name: 'telemetry', containerPort: 8081 },
          ],
          resources: props.resources ?? DEFAULT_RESOURCES,
          liveness: { path: '/livez', port: 'metrics' },
          readiness: { path: '/readyz', port: 'telemetry' },
        }),
      ],
    });

    new k8s.KubeService(this, 'service', {
      metadata: metadata(NAME),
      spec: {
        selector,
        ports: [
          { name: 'metrics', port: 8080, targetPort: k8s.IntOrString.fromString('metrics') },
          { name: 'telemetry', port: 8081, targetPort: k8s.IntOrString.fromString('telemetry') },
        ],
      },
    });

    // kube-state-metrics' own labels (namespace, pod) describe the object, not the exporter: keep them.
    this.scrapeJob = componentScrapeJob({ job: NAME, namespace: ns, appName: NAME, portName: 'metrics', honorLabels: true });
  }
}
