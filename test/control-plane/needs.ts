/**
 * What each ServiceAccount needs from the API server, read from what its workload is configured to do — not
 * from the stack's RBAC, which is what the API server then judges:
 * - a Prometheus-format scrape config (Prometheus, vmagent, Promtail): list and watch the resources of each
 *   `kubernetes_sd_configs` role; get `nodes/metrics` to scrape a kubelet's `/metrics*` over HTTPS;
 * - an Alloy config: the same for each `discovery.kubernetes` role;
 * - kube-state-metrics: list and watch every resource of its `--resources` flag;
 * - the OpenTelemetry Collector's `k8s_attributes` processor: list and watch pods, and ReplicaSets when it
 *   extracts `k8s.deployment.uid` or reads `k8s.deployment.name` from the ReplicaSet object (not its name);
 * - the event exporter: list and watch events, and with leader election the `configmapsleases` lock of its
 *   client-go (get/update of the named ConfigMap and Lease, create of both) in its own namespace.
 */
import { parse } from 'yaml';
import { K8sObject, Manifest } from './argocd-sync';
import { Need, ServiceAccountRef } from './checks';

/** The resources a Kubernetes service-discovery role lists and watches (Prometheus discovery/kubernetes). */
const SD_ROLE_RESOURCES: Record<string, string[]> = {
  pod: ['pods'],
  node: ['nodes'],
  service: ['services'],
  endpoints: ['endpoints', 'pods', 'services'],
  endpointslice: ['endpointslices.discovery.k8s.io', 'pods', 'services'],
  ingress: ['ingresses.networking.k8s.io'],
};

/** kube-state-metrics resource names (its --resources) → API resource. */
const KSM_RESOURCES: Record<string, string> = {
  cronjobs: 'cronjobs.batch',
  jobs: 'jobs.batch',
  daemonsets: 'daemonsets.apps',
  deployments: 'deployments.apps',
  replicasets: 'replicasets.apps',
  statefulsets: 'statefulsets.apps',
  horizontalpodautoscalers: 'horizontalpodautoscalers.autoscaling',
  ingresses: 'ingresses.networking.k8s.io',
  networkpolicies: 'networkpolicies.networking.k8s.io',
  poddisruptionbudgets: 'poddisruptionbudgets.policy',
  storageclasses: 'storageclasses.storage.k8s.io',
  volumeattachments: 'volumeattachments.storage.k8s.io',
  leases: 'leases.coordination.k8s.io',
  endpointslices: 'endpointslices.discovery.k8s.io',
  certificatesigningrequests: 'certificatesigningrequests.certificates.k8s.io',
  mutatingwebhookconfigurations: 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  validatingwebhookconfigurations: 'validatingwebhookconfigurations.admissionregistration.k8s.io',
};

const listWatch = (resource: string, why: string, namespace?: string): Need[] => ['list', 'watch'].map((verb) => ({ verb, resource, why, namespace }));

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

function podSpecOf(o: K8sObject): any {
  return o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
}

/** The ConfigMaps a pod spec mounts or reads. */
function configMapsOf(pod: any): Set<string> {
  const names = new Set<string>();
  for (const v of pod.volumes ?? []) {
    if (v.configMap) names.add(v.configMap.name);
    for (const s of v.projected?.sources ?? []) if (s.configMap) names.add(s.configMap.name);
  }
  return names;
}

function scrapeConfigNeeds(config: any, where: string): Need[] {
  const needs: Need[] = [];
  for (const job of config?.scrape_configs ?? []) {
    for (const sd of job.kubernetes_sd_configs ?? []) {
      const namespaces: Array<string | undefined> = sd.namespaces?.names?.length ? sd.namespaces.names : [undefined];
      for (const resource of SD_ROLE_RESOURCES[sd.role] ?? [`(unknown role ${sd.role})`]) {
        for (const ns of namespaces) needs.push(...listWatch(resource, `${where}: job ${job.job_name}, kubernetes_sd_configs role ${sd.role}`, ns));
      }
      if (sd.attach_metadata?.node) needs.push(...listWatch('nodes', `${where}: job ${job.job_name}, attach_metadata node`));
      // The node role's targets are the kubelets; their /metrics* paths are authorised as nodes/metrics.
      if (sd.role === 'node' && job.scheme === 'https' && /^\/metrics(\/|$)/.test(job.metrics_path ?? '/metrics')) {
        needs.push({ verb: 'get', resource: 'nodes/metrics', why: `${where}: job ${job.job_name} scrapes the kubelet's ${job.metrics_path ?? '/metrics'}` });
      }
    }
  }
  return needs;
}

function alloyNeeds(text: string, where: string): Need[] {
  return [...text.matchAll(/discovery\.kubernetes\s+"([^"]+)"\s*\{[^}]*?role\s*=\s*"(\w+)"/g)].flatMap(([, label, role]) =>
    (SD_ROLE_RESOURCES[role] ?? [`(unknown role ${role})`]).flatMap((r) => listWatch(r, `${where}: discovery.kubernetes "${label}" role ${role}`)),
  );
}

function collectorNeeds(config: any, where: string): Need[] {
  const processors = config?.processors ?? {};
  const needs: Need[] = [];
  for (const [name, p] of Object.entries<any>(processors)) {
    if (!/^k8s_?attributes(\/|$)/.test(name)) continue;
    needs.push(...listWatch('pods', `${where}: processor ${name}`));
    // Since 0.15x the processor derives k8s.deployment.name from the ReplicaSet's name (deployment_name_from_replicaset
    // defaults to true) and watches ReplicaSets only for the Deployment's uid or with that option off.
    const metadata: string[] = p?.extract?.metadata ?? [];
    const fromReplicaSetName = p?.extract?.deployment_name_from_replicaset !== false;
    if (metadata.includes('k8s.deployment.uid') || (metadata.includes('k8s.deployment.name') && !fromReplicaSetName)) {
      needs.push(...listWatch('replicasets.apps', `${where}: processor ${name} needs the Deployment behind each ReplicaSet`));
    }
  }
  return needs;
}

function eventExporterNeeds(config: any, where: string, namespace: string): Need[] {
  const needs = listWatch('events', `${where}: the exporter watches events`);
  const le = config?.leaderElection;
  if (le?.enabled) {
    const id = le.leaderElectionID;
    const why = `${where}: leaderElection with the configmapsleases lock "${id}"`;
    for (const resource of ['configmaps', 'leases.coordination.k8s.io']) {
      needs.push({ verb: 'create', resource, namespace, why }, { verb: 'get', resource, namespace, name: id, why }, { verb: 'update', resource, namespace, name: id, why });
    }
  }
  return needs;
}

function tryParse(text: string): any {
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/** The needs of every ServiceAccount a workload of the manifests runs as, keyed `namespace/name`. */
export function serviceAccountNeeds(manifests: readonly Manifest[]): Map<string, Need[]> {
  const needs = new Map<string, Need[]>();
  const configMaps = manifests.filter((m) => m.object.kind === 'ConfigMap').map((m) => m.object);
  for (const { object, file } of manifests) {
    const pod = podSpecOf(object);
    if (!pod || !WORKLOAD_KINDS.includes(object.kind)) continue;
    const ns = object.metadata.namespace!;
    const key = `${ns}/${pod.serviceAccountName ?? 'default'}`;
    const mine = needs.get(key) ?? [];
    needs.set(key, mine);
    for (const name of configMapsOf(pod)) {
      const cm = configMaps.find((c) => c.metadata.name === name && c.metadata.namespace === ns);
      for (const [dataKey, text] of Object.entries<string>(cm?.data ?? {})) {
        const where = `ConfigMap ${name} ${dataKey}`;
        if (/discovery\.kubernetes\s+"/.test(text)) {
          mine.push(...alloyNeeds(text, where));
          continue;
        }
        const config = tryParse(text);
        if (config?.scrape_configs) mine.push(...scrapeConfigNeeds(config, where));
        if (config?.processors) mine.push(...collectorNeeds(config, where));
        if (file === 'kube-event-exporter.k8s.yaml' && config?.route) mine.push(...eventExporterNeeds(config, where, ns));
      }
    }
    for (const c of pod.containers ?? []) {
      const flag = (c.args ?? []).find((a: string) => a.startsWith('--resources='));
      if (flag) for (const r of flag.slice('--resources='.length).split(',')) mine.push(...listWatch(KSM_RESOURCES[r] ?? r, `${c.name} --resources`));
    }
  }
  // One need per access: several jobs may need the same list.
  for (const [key, list] of needs) {
    const seen = new Map<string, Need>();
    for (const n of list) {
      const k = `${n.verb} ${n.resource} ${n.namespace ?? ''} ${n.name ?? ''}`;
      if (!seen.has(k)) seen.set(k, n);
    }
    needs.set(key, [...seen.values()]);
  }
  return needs;
}

/** Every ServiceAccount of the manifests, and those their workloads run as without defining them (`default`). */
export function serviceAccounts(manifests: readonly Manifest[]): ServiceAccountRef[] {
  const defined = manifests.filter((m) => m.object.kind === 'ServiceAccount').map((m) => ({ namespace: m.object.metadata.namespace!, name: m.object.metadata.name }));
  const used = [...serviceAccountNeeds(manifests).keys()].map((k) => ({ namespace: k.split('/')[0], name: k.split('/')[1] }));
  return [...defined, ...used.filter((u) => !defined.some((d) => d.namespace === u.namespace && d.name === u.name))];
}

/** Workloads that run as a ServiceAccount the manifests do not define: `namespace/name` → the pod spec. */
export function undefinedAccountUsers(manifests: readonly Manifest[]): Array<{ workload: string; serviceAccount: string; automount: boolean | undefined }> {
  const defined = new Set(manifests.filter((m) => m.object.kind === 'ServiceAccount').map((m) => `${m.object.metadata.namespace}/${m.object.metadata.name}`));
  return manifests.flatMap(({ object }) => {
    const pod = podSpecOf(object);
    if (!pod || !WORKLOAD_KINDS.includes(object.kind)) return [];
    const serviceAccount = `${object.metadata.namespace}/${pod.serviceAccountName ?? 'default'}`;
    return defined.has(serviceAccount) ? [] : [{ workload: `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`, serviceAccount, automount: pod.automountServiceAccountToken }];
  });
}
