/**
 * What the tests assert about an environment applied to the control plane: every workload's pods created by
 * the controller manager and placed by the scheduler where the cluster's facts say they belong, volume
 * claims bound, the API server's warnings, and the authorisation of every ServiceAccount.
 */
import { KubeClient } from './kube-client';
import { idOf, K8sObject, Manifest } from './argocd-sync';
import { NodeModel } from './nodes';

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const RESOURCE_OF: Record<string, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs' };
const GROUP_OF: Record<string, string> = { Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1' };

export interface PodRow {
  readonly workload: string;
  readonly pods: number;
  readonly nodes: string[];
}

export interface PodCheck {
  readonly problems: string[];
  readonly rows: PodRow[];
  /** Pods created by the controllers, and of those the ones the scheduler placed. */
  readonly created: number;
  readonly scheduled: number;
}

/** The nodes a DaemonSet of this file must run on: GPU agents on GPU nodes only, node agents everywhere. */
export function expectedDaemonNodes(file: string, nodes: readonly NodeModel[]): string[] {
  const gpu = (n: NodeModel) => n.capacity['nvidia.com/gpu'] !== undefined;
  return nodes.filter((n) => (file === 'gpu.k8s.yaml' ? gpu(n) : true)).map((n) => n.name).sort();
}

const selectorQuery = (selector: any): string =>
  encodeURIComponent(Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(','));

async function failureEvents(client: KubeClient, namespace: string, names: string[]): Promise<string[]> {
  const events = await client.list(`/api/v1/namespaces/${namespace}/events`);
  return [
    ...new Set(
      events
        .filter((e: any) => ['FailedCreate', 'FailedScheduling', 'FailedBinding', 'ProvisioningFailed'].includes(e.reason))
        .filter((e: any) => names.some((n) => e.involvedObject.name === n || e.involvedObject.name.startsWith(`${n}-`)))
        .map((e: any) => `${e.involvedObject.kind} ${namespace}/${e.involvedObject.name}: ${e.reason}: ${e.message}`),
    ),
  ];
}

/**
 * Every Deployment, StatefulSet, DaemonSet and Job of the manifests has its pods, each bound to a node;
 * DaemonSets are on exactly the nodes `expectedDaemonNodes` names; no pod of the environment is left
 * unscheduled; every volume claim is bound.
 */
export async function checkPods(client: KubeClient, manifests: readonly Manifest[], nodes: readonly NodeModel[]): Promise<PodCheck> {
  const problems: string[] = [];
  const rows: PodRow[] = [];
  const namespaces = [...new Set(manifests.map((m) => m.object.metadata.namespace).filter((n): n is string => !!n))];
  let created = 0;
  let scheduled = 0;
  for (const { object, file } of manifests.filter((m) => WORKLOAD_KINDS.includes(m.object.kind))) {
    const ns = object.metadata.namespace!;
    const what = idOf(object);
    const res = await client.request('GET', `/apis/${GROUP_OF[object.kind]}/namespaces/${ns}/${RESOURCE_OF[object.kind]}/${object.metadata.name}`);
    if (res.status !== 200) {
      problems.push(`${what}: not in the cluster (HTTP ${res.status}: ${res.body?.message})`);
      continue;
    }
    const live = res.body;
    // Pods of the current template only: a Deployment's current ReplicaSet, a StatefulSet's update revision.
    let owners = new Set([live.metadata.uid]);
    if (object.kind === 'Deployment') {
      const revision = live.metadata.annotations?.['deployment.kubernetes.io/revision'];
      const sets = await client.list(`/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=${selectorQuery(live.spec.selector)}`);
      owners = new Set(
        sets
          .filter((rs: any) => rs.metadata.ownerReferences?.some((o: any) => o.uid === live.metadata.uid))
          .filter((rs: any) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision)
          .map((rs: any) => rs.metadata.uid),
      );
    }
    const revision = object.kind === 'StatefulSet' ? live.status?.updateRevision : undefined;
    const pods = (await client.list(`/api/v1/namespaces/${ns}/pods?labelSelector=${selectorQuery(live.spec.selector)}`)).filter(
      (p: any) =>
        !p.metadata.deletionTimestamp &&
        p.metadata.ownerReferences?.some((o: any) => owners.has(o.uid)) &&
        (!revision || p.metadata.labels?.['controller-revision-hash'] === revision),
    );
    created += pods.length;
    const bound = pods.filter((p: any) => p.spec.nodeName);
    scheduled += bound.length;
    for (const p of pods.filter((x: any) => !x.spec.nodeName)) {
      const why = p.status?.conditions?.find((c: any) => c.type === 'PodScheduled');
      problems.push(`${what}: pod ${p.metadata.name} not scheduled: ${why?.message ?? why?.reason ?? 'no scheduling attempt yet'}`);
    }
    const onNodes = bound.map((p: any) => p.spec.nodeName as string).sort();
    rows.push({ workload: what, pods: pods.length, nodes: onNodes });
    if (object.kind === 'DaemonSet') {
      const expected = expectedDaemonNodes(file, nodes);
      if (JSON.stringify(onNodes) !== JSON.stringify(expected)) {
        const events = await failureEvents(client, ns, [object.metadata.name]);
        problems.push(`${what}: pods on [${onNodes.join(', ')}], expected on [${expected.join(', ')}]${events.length ? `\n  ${events.join('\n  ')}` : ''}`);
      }
    } else {
      const expected = object.kind === 'Job' ? (object.spec.parallelism ?? 1) : (object.spec.replicas ?? 1);
      if (pods.length !== expected) {
        const events = await failureEvents(client, ns, [object.metadata.name]);
        problems.push(`${what}: ${pods.length} pods, expected ${expected}${events.length ? `\n  ${events.join('\n  ')}` : ''}`);
      }
    }
  }
  for (const ns of namespaces) {
    for (const p of await client.list(`/api/v1/namespaces/${ns}/pods`)) {
      if (p.spec.nodeName || p.metadata.deletionTimestamp) continue;
      const why = p.status?.conditions?.find((c: any) => c.type === 'PodScheduled');
      const line = `pod ${ns}/${p.metadata.name} not scheduled: ${why?.message ?? 'no scheduling attempt yet'}`;
      if (!problems.some((x) => x.includes(`pod ${p.metadata.name} not scheduled`))) problems.push(line);
    }
    for (const c of await client.list(`/api/v1/namespaces/${ns}/persistentvolumeclaims`)) {
      if (c.status?.phase !== 'Bound') {
        const events = await failureEvents(client, ns, [c.metadata.name]);
        problems.push(`PersistentVolumeClaim ${ns}/${c.metadata.name}: ${c.status?.phase ?? 'Pending'}${events.length ? `\n  ${events.join('\n  ')}` : ''}`);
      }
    }
  }
  return { problems, rows, created, scheduled };
}

// ---- Authorisation ---------------------------------------------------------------------------------------

export interface Access {
  readonly verb: string;
  /** `pods`, `nodes/metrics`, `leases.coordination.k8s.io`. */
  readonly resource: string;
  /** Cluster-wide when absent. */
  readonly namespace?: string;
  readonly name?: string;
}

export interface Need extends Access {
  /** Where the need comes from (`prometheus.yml: kubernetes_sd_configs role node`). */
  readonly why: string;
}

export const accessText = (a: Access): string =>
  `${a.verb} ${a.resource}${a.name ? `/${a.name}` : ''}${a.namespace ? ` in ${a.namespace}` : ''}`;

/** `leases.coordination.k8s.io` → group and resource; `nodes/metrics` → resource and subresource. */
function splitResource(resource: string): { group: string; resource: string; subresource?: string } {
  const [main, subresource] = resource.split('/');
  const dot = main.indexOf('.');
  return dot === -1 ? { group: '', resource: main, subresource } : { group: main.slice(dot + 1), resource: main.slice(0, dot), subresource };
}

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

/** Asks the API server whether the ServiceAccount may do `a` (a SubjectAccessReview, as the admin). */
export async function allowed(client: KubeClient, sa: ServiceAccountRef, a: Access): Promise<boolean> {
  const { group, resource, subresource } = splitResource(a.resource);
  const review = await client.create('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
      resourceAttributes: { verb: a.verb, group, resource, subresource, namespace: a.namespace, name: a.name },
    },
  });
  return review.status?.allowed === true;
}

/** The resource rules the ServiceAccount has in a namespace (a SelfSubjectRulesReview, impersonating it). */
export async function rulesIn(client: KubeClient, sa: ServiceAccountRef, namespace: string): Promise<Array<{ verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }>> {
  const res = await client.request(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
    'application/json',
    {
      'Impersonate-User': `system:serviceaccount:${sa.namespace}:${sa.name}`,
      'Impersonate-Group': ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
    },
  );
  if (res.status !== 201 && res.status !== 200) throw new Error(`SelfSubjectRulesReview as ${sa.namespace}/${sa.name}: HTTP ${res.status}: ${res.body?.message}`);
  return res.body.status.resourceRules;
}

/** What every authenticated user may do (system:basic-user and friends): not the stack's doing. */
const BASELINE_WRITES = new Set(['selfsubjectaccessreviews.authorization.k8s.io', 'selfsubjectrulesreviews.authorization.k8s.io', 'selfsubjectreviews.authentication.k8s.io']);
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', 'approve', 'sign', '*']);

/** What no ServiceAccount of the stack may do, whatever it needs. */
export function forbiddenProbes(sa: ServiceAccountRef): Access[] {
  return [
    { verb: 'get', resource: 'secrets' },
    { verb: 'list', resource: 'secrets' },
    { verb: 'watch', resource: 'secrets' },
    { verb: 'get', resource: 'secrets', namespace: sa.namespace },
    { verb: 'list', resource: 'secrets', namespace: sa.namespace },
    // A wildcard grants verbs and resources that do not exist; only a wildcard can allow these.
    { verb: 'frobnicate', resource: 'pods', namespace: sa.namespace },
    { verb: 'get', resource: 'widgets.example.com' },
    { verb: 'create', resource: 'pods' },
    { verb: 'delete', resource: 'pods' },
    { verb: 'create', resource: 'pods/exec', namespace: sa.namespace },
    { verb: 'create', resource: 'pods/eviction' },
    { verb: 'patch', resource: 'nodes' },
    { verb: 'update', resource: 'deployments.apps' },
    { verb: 'create', resource: 'configmaps' },
    { verb: 'create', resource: 'serviceaccounts/token', namespace: sa.namespace },
    { verb: 'get', resource: 'nodes/proxy' },
    { verb: 'escalate', resource: 'clusterroles.rbac.authorization.k8s.io' },
    { verb: 'bind', resource: 'clusterroles.rbac.authorization.k8s.io' },
    { verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io' },
    { verb: 'impersonate', resource: 'users' },
    { verb: 'impersonate', resource: 'serviceaccounts' },
  ];
}

export interface RbacRow {
  readonly serviceAccount: string;
  readonly allowed: string[];
  readonly denied: string[];
}

/**
 * For each ServiceAccount: every need is allowed; every forbidden probe that is not a need is denied; and in
 * each of the environment's namespaces its rules hold no write beyond its needs, no wildcard and no Secret.
 */
export async function checkRbac(client: KubeClient, accounts: readonly ServiceAccountRef[], needs: ReadonlyMap<string, readonly Need[]>, namespaces: readonly string[]): Promise<{ problems: string[]; rows: RbacRow[] }> {
  const problems: string[] = [];
  // One account at a time in order, its reviews together: the API server answers them in parallel.
  const rows = await Promise.all(
    accounts.map(async (sa): Promise<RbacRow> => {
      const key = `${sa.namespace}/${sa.name}`;
      const mine = needs.get(key) ?? [];
      const row = { serviceAccount: key, allowed: [] as string[], denied: [] as string[] };
      const needAnswers = await Promise.all(mine.map((need) => allowed(client, sa, need)));
      mine.forEach((need, i) => {
        if (needAnswers[i]) row.allowed.push(accessText(need));
        else {
          row.denied.push(accessText(need));
          problems.push(`ServiceAccount ${key} needs to ${accessText(need)} (${need.why}): denied`);
        }
      });
      const needed = new Set(mine.map(accessText));
      const probes = forbiddenProbes(sa).filter((p) => !needed.has(accessText(p)));
      const probeAnswers = await Promise.all(probes.map((probe) => allowed(client, sa, probe)));
      probes.forEach((probe, i) => {
        if (probeAnswers[i]) {
          row.allowed.push(accessText(probe));
          problems.push(`ServiceAccount ${key} may ${accessText(probe)}, which it must not`);
        } else row.denied.push(accessText(probe));
      });
      const rulesByNamespace = await Promise.all(namespaces.map(async (ns) => [ns, await rulesIn(client, sa, ns)] as const));
      for (const [ns, rules] of rulesByNamespace) {
        for (const rule of rules) {
          const resources = (rule.resources ?? []).flatMap((r) => (rule.apiGroups ?? ['']).map((g) => (g ? `${r.split('/')[0]}.${g}${r.includes('/') ? `/${r.split('/')[1]}` : ''}` : r)));
          const text = `${rule.verbs.join(',')} ${resources.join(',')}${rule.resourceNames ? ` [${rule.resourceNames.join(',')}]` : ''}`;
          if (rule.verbs.includes('*') || (rule.resources ?? []).includes('*') || (rule.apiGroups ?? []).includes('*')) problems.push(`ServiceAccount ${key} has a wildcard rule in ${ns}: ${text}`);
          if ((rule.resources ?? []).some((r) => r === 'secrets' || r.startsWith('secrets/'))) problems.push(`ServiceAccount ${key} has a rule on Secrets in ${ns}: ${text}`);
          for (const verb of rule.verbs.filter((v) => WRITE_VERBS.has(v))) {
            for (const resource of resources.filter((r) => !BASELINE_WRITES.has(r))) {
              for (const name of rule.resourceNames ?? [undefined]) {
                const covered = mine.some((n) => n.verb === verb && n.resource === resource && (n.name === undefined || n.name === name) && (!n.namespace || n.namespace === ns));
                if (!covered) problems.push(`ServiceAccount ${key} may ${verb} ${resource}${name ? `/${name}` : ''} in ${ns}, which none of its needs asks for`);
              }
            }
          }
        }
      }
      return row;
    }),
  );
  return { problems: [...new Set(problems)], rows };
}

export { idOf };
export type { K8sObject };
