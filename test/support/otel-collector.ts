/**
 * The synthesized OpenTelemetry Collectors as a test runs them on loopback: every container running the
 * collector image with its config, args, env and data mounts; a copy of the config with only addresses and
 * paths rewritten (listeners to free loopback ports, exporter targets to the ports a test gives, the pod's
 * volumes to temporary directories, k8s_attributes' `auth_type` to `kubeConfig` so it reads a loopback API's
 * kubeconfig); and the instrumented example service as the API and its SDK would show it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parse, parseAllDocuments } from 'yaml';
import { buildExample } from '../../examples/instrumented-service/main';
import { IMAGES, imageName } from '../../src/lib/images';
import { freePort } from './process';
import { environments } from './synth-fixture';

/** The value the kubelet would give `spec.nodeName` fields; the agent watches only this node's pods. */
export const NODE_NAME = 'loopback-node';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: any; data?: Record<string, string> };

/** One collector as a pod would run it: its config, the container's args and env, and its volume mounts. */
export interface CollectorRun {
  /** `<environment>/<workload>`, e.g. `central/otel-collector-sampler`. */
  readonly id: string;
  readonly config: Record<string, any>;
  /** The container's args, with the config file's path where `--config=` names it. */
  readonly args: string[];
  readonly configPath: string;
  readonly env: Array<{ name: string; value?: string; valueFrom?: any }>;
  /** Mount paths of the pod's data volumes (not the config's). */
  readonly dataMounts: string[];
  /** What its ServiceAccount may list and watch, as `resource` or `group/resource`. */
  readonly granted: string[];
  /** The container's resource requests and limits, as synthesized. */
  readonly resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** What a ServiceAccount may list and watch through its (Cluster)RoleBindings, as `resource` or `group/resource`. */
function grantedResources(objects: Obj[], namespace: string, serviceAccount: string): string[] {
  const bindings = objects.filter(
    (o: any) => ['ClusterRoleBinding', 'RoleBinding'].includes(o.kind) && (o.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount && s.namespace === namespace),
  );
  const rules = bindings.flatMap((b: any) => objects.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name)?.['rules' as keyof Obj] ?? []) as any[];
  return rules
    .filter((rule) => ['list', 'watch'].every((v) => rule.verbs.includes(v)))
    .flatMap((rule) => (rule.apiGroups as string[]).flatMap((g) => (rule.resources as string[]).map((res) => (g ? `${g}/${res}` : res))))
    .sort();
}

/** `pods` for `GET /api/v1/pods?watch=true`, `apps/replicasets` for `/apis/apps/v1/namespaces/x/replicasets`; discovery is none. */
export function requestedResource(request: string): string | undefined {
  const m = /^\w+ \/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/(?:namespaces\/[^/]+\/)?([^/?]+)/.exec(request);
  return m ? (m[1] ? `${m[1]}/${m[2]}` : m[2]) : undefined;
}

/** Every container running the collector image in the synthesized manifests of `outDir`, with its config. */
export function collectorRuns(outDir: string): CollectorRun[] {
  const runs: CollectorRun[] = [];
  for (const env of environments(outDir)) {
    const dir = path.join(outDir, env);
    const objects = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.k8s.yaml'))
      .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Obj));
    for (const workload of objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))) {
      const pod = workload.spec.template.spec;
      for (const container of pod.containers.filter((c: any) => c.image === imageName(IMAGES.otelCollector))) {
        const configArg = (container.args as string[]).find((a) => a.startsWith('--config='));
        if (!configArg) throw new Error(`${env}/${workload.metadata.name}: the collector has no --config= argument`);
        const configPath = configArg.slice('--config='.length);
        const mount = (container.volumeMounts as any[]).find((m) => configPath.startsWith(`${m.mountPath}/`));
        const volume = mount && (pod.volumes as any[]).find((v) => v.name === mount.name);
        const configMap = volume?.configMap && objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name && o.metadata.namespace === workload.metadata.namespace);
        const text = configMap?.data?.[path.relative(mount.mountPath, configPath)];
        if (text === undefined) throw new Error(`${env}/${workload.metadata.name}: ${configPath} is in no ConfigMap`);
        runs.push({
          id: `${env}/${workload.metadata.name}`,
          config: parse(text),
          args: container.args,
          configPath,
          env: container.env ?? [],
          dataMounts: (container.volumeMounts as any[]).filter((m) => m !== mount).map((m) => m.mountPath),
          granted: grantedResources(objects, workload.metadata.namespace!, pod.serviceAccountName),
          resources: container.resources ?? {},
        });
      }
    }
  }
  return runs;
}

/** `prometheus_remote_write` for `prometheus_remote_write/central`. */
export const typeOf = (id: string) => id.split('/')[0];

/** A URL or `host:port` pointed at the loopback port, keeping its scheme and path. */
export function toLoopback(endpoint: string, port: number): string {
  const url = /^(\w+):\/\/[^/]+(.*)$/.exec(endpoint);
  return url ? `${url[1]}://127.0.0.1:${port}${url[2]}` : `127.0.0.1:${port}`;
}

export interface TestCopy {
  readonly config: Record<string, any>;
  readonly healthUrl: string;
  readonly metricsUrl?: string;
}

/** The config with only its addresses and paths moved to loopback and `work` (see the file's comment). */
/**
 * Where an exporter sends: the loopback port that stands in for its target, given its id and its synthesized
 * endpoint (a URL or `host:port`; a load-balancing exporter's resolver gives `host:port`).
 */
export type ExporterPort = (exporterId: string, endpoint: string) => number;

export async function testCopy(r: CollectorRun, work: string, portOf: ExporterPort): Promise<TestCopy> {
  const config = JSON.parse(JSON.stringify(r.config));
  // The pod's data volumes: every path under one of them moves to a temporary directory (created like the empty volume).
  const volumes = r.dataMounts.map((mountPath, i) => ({ mountPath, dir: path.join(work, `volume-${i}`) }));
  for (const v of volumes) fs.mkdirSync(v.dir);
  const movePaths = (value: any): any => {
    if (typeof value === 'string') {
      const v = volumes.find((x) => value === x.mountPath || value.startsWith(`${x.mountPath}/`));
      return v ? v.dir + value.slice(v.mountPath.length) : value;
    }
    if (Array.isArray(value)) return value.map(movePaths);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, movePaths(x)]));
    return value;
  };
  const moved = movePaths(config);

  for (const receiver of Object.values<any>(moved.receivers ?? {})) {
    for (const protocol of Object.values<any>(receiver.protocols ?? { self: receiver })) {
      if (protocol?.endpoint) protocol.endpoint = toLoopback(protocol.endpoint, await freePort());
    }
  }
  const health = moved.extensions?.health_check;
  if (!health?.endpoint) throw new Error(`${r.id}: no health_check endpoint`);
  health.endpoint = toLoopback(health.endpoint, await freePort());
  const healthUrl = `http://${health.endpoint}${health.path ?? '/'}`;

  for (const [id, exporter] of Object.entries<any>(moved.exporters ?? {})) {
    const type = typeOf(id);
    if (type === 'load_balancing' || type === 'loadbalancing') {
      const dns = exporter.resolver?.dns;
      if (!dns) throw new Error(`${r.id}: exporter ${id} has a resolver this test does not rewrite: ${JSON.stringify(exporter.resolver)}`);
      const port = portOf(id, `${dns.hostname}:${dns.port}`);
      dns.hostname = '127.0.0.1';
      // Keep the synthesized type of the field: only the value is the test's.
      dns.port = typeof dns.port === 'number' ? port : String(port);
    } else if (typeof exporter.endpoint === 'string') {
      exporter.endpoint = toLoopback(exporter.endpoint, portOf(id, exporter.endpoint));
    } else {
      throw new Error(`${r.id}: exporter ${id} has no endpoint this test knows how to point at a stand-in`);
    }
  }

  let metricsUrl: string | undefined;
  for (const reader of moved.service?.telemetry?.metrics?.readers ?? []) {
    const prometheus = reader.pull?.exporter?.prometheus;
    if (prometheus) {
      prometheus.host = '127.0.0.1';
      prometheus.port = await freePort();
      metricsUrl = `http://127.0.0.1:${prometheus.port}/metrics`;
    }
  }
  for (const [id, processor] of Object.entries<any>(moved.processors ?? {})) {
    if (typeOf(id).replace('_', '') === 'k8sattributes' && processor.auth_type === 'serviceAccount') processor.auth_type = 'kubeConfig';
  }
  // Nothing of the cluster is left: every address is loopback, every path a temporary one.
  const text = JSON.stringify(moved);
  const leftovers = text.match(/0\.0\.0\.0|\.svc\b|example\.com|\/var\/lib\//g);
  if (leftovers) throw new Error(`${r.id}: the test copy still holds cluster addresses or paths: ${leftovers.join(', ')}`);
  return { config: moved, healthUrl, metricsUrl };
}

/** The container's environment outside a pod: literal values, and the downward API fields the collector uses. */
export function processEnv(r: CollectorRun): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const e of r.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') env[e.name] = NODE_NAME;
    else throw new Error(`${r.id}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which this test does not stand in for`);
  }
  return env;
}

/**
 * The instrumented example service (examples/instrumented-service) as the API would show one of its pods, and
 * the resource its SDK reports: OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME as synthesized, with the
 * kubelet's `$(VAR)` expansion of the downward-API variables.
 */
export function instrumentedService() {
  const deployment = (Testing.synth(buildExample(Testing.app())) as Obj[]).find((o) => o.kind === 'Deployment')!;
  const name = deployment.metadata.name;
  const namespace = deployment.metadata.namespace!;
  const container = deployment.spec.template.spec.containers.find((c: any) => (c.env ?? []).some((e: any) => e.name === 'OTEL_RESOURCE_ATTRIBUTES'));
  // As the Deployment controller names and labels them.
  const templateHash = '5d8c7b9f4';
  const replicaSet = { name: `${name}-${templateHash}`, uid: '7f0c1a52-3b8e-4c47-9a0e-1b2c3d4e5f60' };
  const pod = {
    metadata: {
      name: `${replicaSet.name}-x7k2p`,
      namespace,
      uid: '3a6f8e2d-9c41-4b7a-8e5d-2f1c0b9a8d7e',
      labels: { ...deployment.spec.template.metadata.labels, 'pod-template-hash': templateHash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...replicaSet, controller: true }],
    },
    spec: { nodeName: NODE_NAME, containers: deployment.spec.template.spec.containers },
    status: { phase: 'Running', podIP: '10.244.1.17', startTime: '2026-01-01T00:00:00Z' },
  };
  const fieldValue = (fieldPath: string): string => {
    const value = fieldPath.split('.').reduce((o: any, k) => o?.[k], pod);
    if (typeof value !== 'string') throw new Error(`no pod field ${fieldPath}`);
    return value;
  };
  const env = new Map<string, string>();
  for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: any }>) {
    if (e.value !== undefined) env.set(e.name, e.value.replace(/\$\((\w+)\)/g, (m, v) => env.get(v) ?? m));
    else if (e.valueFrom?.fieldRef) env.set(e.name, fieldValue(e.valueFrom.fieldRef.fieldPath));
  }
  const resource: Record<string, string> = Object.fromEntries(env.get('OTEL_RESOURCE_ATTRIBUTES')!.split(',').map((kv) => kv.split('=') as [string, string]));
  resource['service.name'] = env.get('OTEL_SERVICE_NAME')!;
  return { name, container: container.name as string, pod, resource };
}
