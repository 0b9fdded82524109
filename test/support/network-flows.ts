import { parse } from 'yaml';
import { loadManifestDir } from './k8s-schema';
import { NetworkPolicy, Pod, PolicyEvaluator } from './network-policy';

/**
 * Flows derived from synthesized objects themselves (scrape jobs, every
 * in-cluster address a pod is configured with, Service ports), independently
 * of the flow table in src/security/flows.ts, for tests that evaluate the
 * NetworkPolicies against them.
 */

export type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

export interface StackPod extends Pod {
  readonly owner: string;
  readonly annotations: Record<string, string>;
  readonly hostNetwork: boolean;
  readonly containers: Array<{ name: string; ports: Array<{ name?: string; containerPort: number }> }>;
  /** Every string the pod is configured with: env values, command, args and the data of its mounted ConfigMaps. */
  readonly text: string;
}

export function stackPods(objects: Obj[]): StackPod[] {
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
    .map((o) => {
      const template = o.spec.template;
      const spec = template.spec;
      const containers = [...spec.containers, ...(spec.initContainers ?? [])];
      const mounted = (spec.volumes ?? [])
        .flatMap((v: any) => [v.configMap?.name, ...(v.projected?.sources ?? []).map((s: any) => s.configMap?.name)])
        .filter(Boolean)
        .map((n: string) => configMaps.get(`${o.metadata.namespace}/${n}`));
      // --web.external-url (Prometheus) and -external.url (vmalert) are written into links, not addresses they connect to.
      const isLinkOnly = (arg: string) => arg.startsWith('--web.external-url=') || arg.startsWith('-external.url=');
      const text = [
        ...containers.flatMap((c: any) => [...(c.command ?? []), ...(c.args ?? []).filter((a: string) => !isLinkOnly(a)), ...(c.env ?? []).map((e: any) => e.value ?? '')]),
        ...mounted.flatMap((cm: Obj | undefined) => Object.values(cm?.data ?? {})),
      ].join('\n');
      return {
        owner: `${o.kind}/${o.metadata.name}`,
        namespace: o.metadata.namespace!,
        labels: template.metadata.labels,
        annotations: template.metadata.annotations ?? {},
        hostNetwork: spec.hostNetwork === true,
        containers: spec.containers.map((c: any) => ({ name: c.name, ports: c.ports ?? [] })),
        ports: spec.containers.flatMap((c: any) => c.ports ?? []),
        text,
      };
    });
}

/** Prometheus' relabelling `keep`/`drop` steps over the meta labels of one pod target (regexes are fully anchored). */
function kept(job: any, meta: Record<string, string>): boolean {
  for (const r of job.relabel_configs ?? []) {
    if (r.action !== 'keep' && r.action !== 'drop') continue;
    const value = (r.source_labels as string[]).map((l) => meta[l] ?? '').join(r.separator ?? ';');
    const matches = new RegExp(`^(?:${r.regex ?? '(.*)'})$`).test(value);
    if ((r.action === 'keep' && !matches) || (r.action === 'drop' && matches)) return false;
  }
  return true;
}

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

export interface NeededFlow {
  readonly why: string;
  readonly src: StackPod | Pod;
  readonly dst: StackPod;
  readonly port: number;
}

/** The scraper's targets among the stack's pods (Prometheus or vmagent): one per declared container port, as pod discovery makes them. */
export function scrapeFlows(prometheus: StackPod, pods: StackPod[], prometheusYaml: string): NeededFlow[] {
  const config = parse(prometheusYaml);
  const flows: NeededFlow[] = [];
  for (const job of config.scrape_configs) {
    const sd = (job.kubernetes_sd_configs ?? []).filter((c: any) => c.role === 'pod');
    if (sd.length === 0) continue;
    const setsPortFromAnnotation = (job.relabel_configs ?? []).some(
      (r: any) => r.target_label === '__address__' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_port'),
    );
    for (const pod of pods) {
      if (!sd.some((c: any) => !c.namespaces || c.namespaces.names.includes(pod.namespace))) continue;
      for (const container of pod.containers) {
        for (const port of container.ports.length ? container.ports : [undefined]) {
          const meta: Record<string, string> = {
            __meta_kubernetes_namespace: pod.namespace,
            __meta_kubernetes_pod_phase: 'Running',
            __meta_kubernetes_pod_container_name: container.name,
            __meta_kubernetes_pod_container_port_name: port?.name ?? '',
          };
          for (const [k, v] of Object.entries(pod.labels)) meta[`__meta_kubernetes_pod_label_${sanitize(k)}`] = v;
          for (const [k, v] of Object.entries(pod.annotations)) meta[`__meta_kubernetes_pod_annotation_${sanitize(k)}`] = v;
          if (!kept(job, meta)) continue;
          const number = setsPortFromAnnotation && pod.annotations['prometheus.io/port'] ? Number(pod.annotations['prometheus.io/port']) : port?.containerPort;
          if (number === undefined) continue;
          flows.push({ why: `scrape job ${job.job_name} -> ${pod.owner}:${number}`, src: prometheus, dst: pod, port: number });
        }
      }
    }
  }
  return flows;
}

const ADDRESS = /\b([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)/g;

/**
 * Every in-cluster Service address a pod is configured with, resolved through the Service to its pods and target
 * port. `userAddresses` are the config's own datasources (`grafana.datasources[].url`): services of the user's,
 * outside the stack, to which it opens no flow; every other address must be a Service of the stack.
 */
export function addressFlows(pods: StackPod[], services: Obj[], userAddresses: readonly string[] = []): NeededFlow[] {
  const flows: NeededFlow[] = [];
  for (const src of pods) {
    for (const m of src.text.matchAll(ADDRESS)) {
      const [address, name, namespace, port] = m;
      if (userAddresses.some((u) => u.includes(address))) continue;
      const service = services.find((s) => s.metadata.name === name && s.metadata.namespace === namespace);
      if (!service) throw new Error(`${src.owner} is configured with ${address}, but there is no Service ${namespace}/${name}`);
      const servicePort = service.spec.ports.find((p: any) => p.port === Number(port));
      if (!servicePort) throw new Error(`${src.owner}: Service ${namespace}/${name} has no port ${port}`);
      const selected = pods.filter((p) => p.namespace === namespace && Object.entries(service.spec.selector).every(([k, v]) => p.labels[k] === v));
      if (selected.length === 0) throw new Error(`Service ${namespace}/${name} selects no pod`);
      for (const dst of selected) {
        const target = servicePort.targetPort ?? servicePort.port;
        const number = typeof target === 'number' ? target : dst.ports!.find((c) => c.name === target)?.containerPort;
        flows.push({ why: `${src.owner} -> ${address} (${dst.owner}:${number})`, src, dst, port: number! });
      }
    }
  }
  return flows;
}

export function load(envDir: string) {
  const objects = loadManifestDir(envDir) as Obj[];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[];
  const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name, o.metadata.labels ?? {}]));
  const evaluator = new PolicyEvaluator(policies, (n) => ({ ...(namespaces.get(n) ?? {}), 'kubernetes.io/metadata.name': n }));
  const pods = stackPods(objects);
  const services = objects.filter((o) => o.kind === 'Service');
  const pod = (app: string) => {
    const found = pods.find((p) => p.labels['app.kubernetes.io/name'] === app);
    if (!found) throw new Error(`no pod of ${app}`);
    return found;
  };
  return { objects, policies, namespaces, evaluator, pods, services, pod };
}

