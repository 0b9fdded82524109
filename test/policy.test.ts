import * as path from 'path';
import { exceptionCount, NODE_AGENTS, POLICY_EXCEPTIONS, PolicyCheck, RBAC_WRITES } from '../src/security/exceptions';
import { loadManifestDir } from './support/k8s-schema';
import { selectorMatches } from './support/network-policy';
import { metricsBackend } from './support/metrics-backend';
import { environments, shippedConfigOf, synthesizedShippedConfigs } from './support/synth-fixture';

/**
 * The security and reliability policy of the platform, over every object the
 * shipped configs synthesize: the checks kube-score, kube-linter and
 * kubescape make, written as the project's own test. Every exception comes
 * from src/security/exceptions.ts, with its reason; an exception nothing
 * uses fails too.
 */

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: any; stringData?: any; rules?: any[]; roleRef?: any; subjects?: any[]; automountServiceAccountToken?: boolean };

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const out = synthesizedShippedConfigs();
const used = new Set<string>();

/** Whether `owner` may skip `check`; records the use, so stale exceptions are found. */
function excepted(owner: string, check: PolicyCheck): boolean {
  const reason = POLICY_EXCEPTIONS[owner]?.[check];
  if (reason) used.add(`${owner}:${check}`);
  return reason !== undefined;
}

let containersChecked = 0;

describe.each(environments(out))('policy over dist/%s', (env) => {
  const objects = loadManifestDir(path.join(out, env)) as Obj[];
  const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  const owner = (o: Obj) => `${o.kind}/${o.metadata.name}`;
  const podSpec = (o: Obj) => o.spec.template.spec;
  const namespaces = objects.filter((o) => o.kind === 'Namespace');

  test('every container: requests and limits, requests within limits, probes, a pinned image, the restricted securityContext', () => {
    const cpu = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
    const mem = (q: string) => Number(q.replace(/(Ki|Mi|Gi)$/, '')) * { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[q.slice(-2) as 'Ki' | 'Mi' | 'Gi'];
    const problems: string[] = [];
    for (const w of workloads) {
      const spec = podSpec(w);
      const root = NODE_AGENTS[owner(w)]?.runsAsRoot !== undefined;
      const podSeccomp = spec.securityContext?.seccompProfile?.type;
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        containersChecked++;
        const where = `${owner(w)}/${c.name}`;
        const r = c.resources ?? {};
        if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.cpu || !r.limits?.memory) problems.push(`${where}: requests and limits of cpu and memory`);
        else if (cpu(r.requests.cpu) > cpu(r.limits.cpu) || mem(r.requests.memory) > mem(r.limits.memory)) problems.push(`${where}: requests above limits`);
        if (!/^[^@:]+(:[0-9][^:@]*|:v[^:@]+|:[a-z0-9][^:@]*)$/.test(c.image) || /:latest$/.test(c.image)) problems.push(`${where}: image ${c.image} not pinned by tag`);
        if (c.imagePullPolicy !== 'IfNotPresent') problems.push(`${where}: imagePullPolicy ${c.imagePullPolicy}`);
        const isInit = (spec.initContainers ?? []).includes(c);
        if (!isInit && !excepted(owner(w), 'probes') && (!c.livenessProbe || !c.readinessProbe)) problems.push(`${where}: liveness and readiness probes`);
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation`);
        if (sc.privileged === true) problems.push(`${where}: privileged`);
        if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem`);
        if (JSON.stringify(sc.capabilities) !== JSON.stringify({ drop: ['ALL'] })) problems.push(`${where}: capabilities must be exactly drop ALL`);
        if ((sc.seccompProfile?.type ?? podSeccomp) !== 'RuntimeDefault') problems.push(`${where}: seccomp RuntimeDefault`);
        const nonRoot = sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
        if (nonRoot !== true && !root) problems.push(`${where}: runAsNonRoot (root is only for NODE_AGENTS with a reason)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('host access: no hostIPC; hostNetwork, hostPID and writable hostPath only where NODE_AGENTS gives the reason', () => {
    const problems: string[] = [];
    for (const w of workloads) {
      const spec = podSpec(w);
      const allowed = NODE_AGENTS[owner(w)] ?? {};
      if (spec.hostIPC) problems.push(`${owner(w)}: hostIPC`);
      if (spec.hostNetwork && !allowed.hostNetwork) problems.push(`${owner(w)}: hostNetwork`);
      if (spec.hostPID && !allowed.hostPID) problems.push(`${owner(w)}: hostPID`);
      const hostPaths = new Map<string, string>((spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => [v.name, v.hostPath.path]));
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        for (const m of c.volumeMounts ?? []) {
          const p = hostPaths.get(m.name);
          if (p === undefined || m.readOnly === true) continue;
          const listed = Object.keys(allowed.writableHostPaths ?? {}).some((k) => p === k || (k.endsWith('/') && p.startsWith(k)));
          if (!listed) problems.push(`${owner(w)}: hostPath ${p} mounted writable`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('service account tokens: mounted only in pods whose ServiceAccount RBAC binds; never the default account with a token', () => {
    const bound = new Set(
      objects
        .filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')
        .flatMap((b) => (b.subjects ?? []).filter((s: any) => s.kind === 'ServiceAccount').map((s: any) => `${s.namespace}/${s.name}`)),
    );
    const accounts = new Map(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
    const problems: string[] = [];
    for (const w of workloads) {
      const spec = podSpec(w);
      const sa = spec.serviceAccountName ?? 'default';
      const key = `${w.metadata.namespace}/${sa}`;
      const mounted = spec.automountServiceAccountToken ?? accounts.get(key)?.automountServiceAccountToken ?? true;
      if (mounted && !bound.has(key)) problems.push(`${owner(w)}: token of ${key} mounted, but no RBAC binds it: the pod never uses the API`);
      if (sa === 'default' && !excepted(owner(w), 'ownServiceAccount')) problems.push(`${owner(w)}: runs as the default ServiceAccount`);
      if (sa === 'default' && mounted) problems.push(`${owner(w)}: default ServiceAccount with a token`);
      if (sa !== 'default' && !accounts.has(key)) problems.push(`${owner(w)}: ServiceAccount ${key} is not in dist`);
    }
    // Every ServiceAccount leaves token mounting to the pod that needs it.
    for (const [key, sa] of accounts) if (sa.automountServiceAccountToken !== false) problems.push(`ServiceAccount ${key}: automountServiceAccountToken`);
    expect(problems).toEqual([]);
  });

  test('RBAC: no wildcard, no Secrets, no built-in admin roles; writes only as RBAC_WRITES lists them', () => {
    const problems: string[] = [];
    const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      const where = `${role.kind}/${role.metadata.name}`;
      for (const rule of role.rules ?? []) {
        for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames', 'nonResourceURLs']) {
          if ((rule[field] ?? []).some((v: string) => v.includes('*'))) problems.push(`${where}: wildcard in ${field}`);
        }
        if ((rule.resources ?? []).includes('secrets')) problems.push(`${where}: reads Secrets`);
        const writes = rule.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v));
        if (writes.length === 0) continue;
        const allowed = RBAC_WRITES[where];
        if (!allowed) {
          problems.push(`${where}: writes (${writes.join(',')}) but is not in RBAC_WRITES`);
          continue;
        }
        used.add(where);
        for (const resource of rule.resources) {
          for (const verb of writes) {
            const ok = allowed.rules.some(
              (a) =>
                rule.apiGroups.includes(a.apiGroup) &&
                a.resource === resource &&
                a.verbs.includes(verb) &&
                JSON.stringify(a.resourceNames ?? []) === JSON.stringify(rule.resourceNames ?? []),
            );
            if (!ok) problems.push(`${where}: ${verb} ${resource} ${JSON.stringify(rule.resourceNames ?? [])} is not in RBAC_WRITES`);
          }
        }
      }
    }
    const defined = new Set(roles.map((r) => `${r.kind}/${r.metadata.name}`));
    for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      if (!defined.has(`${b.roleRef.kind}/${b.roleRef.name}`)) problems.push(`${b.kind}/${b.metadata.name}: binds ${b.roleRef.kind}/${b.roleRef.name}, which the stack does not define`);
    }
    expect(problems).toEqual([]);
  });

  test('no credentials: Secrets only without data, credential-named env vars only from Secrets, Grafana anonymous users are Viewers', () => {
    const problems: string[] = [];
    for (const s of objects.filter((o) => o.kind === 'Secret')) {
      if (Object.keys(s.data ?? {}).length > 0 || Object.keys(s.stringData ?? {}).length > 0) problems.push(`Secret ${s.metadata.name} holds data`);
    }
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|CREDENTIAL/i.test(e.name) && e.value !== undefined) problems.push(`${owner(w)}/${c.name}: ${e.name} has a literal value`);
        }
      }
    }
    const grafana = workloads.find((w) => w.metadata.name === 'grafana')!;
    const env = Object.fromEntries(podSpec(grafana).containers[0].env.map((e: any) => [e.name, e]));
    if (env.GF_AUTH_ANONYMOUS_ENABLED?.value === 'true') expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE?.value).toBe('Viewer');
    expect(env.GF_SECURITY_ADMIN_PASSWORD.valueFrom.secretKeyRef).toBeDefined();
    expect(env.GF_SECURITY_ADMIN_USER.valueFrom.secretKeyRef).toBeDefined();
    expect(problems).toEqual([]);
  });

  test('Pod Security: every namespace has enforce/warn/audit labels; pods run only in namespaces the stack creates; restricted except the node agents', () => {
    expect(namespaces.length).toBeGreaterThanOrEqual(3);
    for (const ns of namespaces) {
      const l = ns.metadata.labels ?? {};
      expect({ ns: ns.metadata.name, enforce: l['pod-security.kubernetes.io/enforce'], warn: l['pod-security.kubernetes.io/warn'], audit: l['pod-security.kubernetes.io/audit'] }).toEqual({
        ns: ns.metadata.name,
        enforce: expect.stringMatching(/^(restricted|privileged)$/),
        warn: 'restricted',
        audit: 'restricted',
      });
    }
    const levels = new Map(namespaces.map((n) => [n.metadata.name, n.metadata.labels!['pod-security.kubernetes.io/enforce']]));
    for (const w of workloads) {
      const level = levels.get(w.metadata.namespace!);
      expect({ w: owner(w), level }).toEqual({ w: owner(w), level: NODE_AGENTS[owner(w)] ? 'privileged' : expect.any(String) });
      // A workload in the privileged namespace is there because it needs host access, or is a node agent by priority.
      if (level === 'privileged') expect({ w: owner(w), kind: w.kind }).toEqual({ w: owner(w), kind: 'DaemonSet' });
    }
  });

  test('node agents (every DaemonSet) carry the node-agent priority class, above ordinary workloads', () => {
    const classes = new Map(objects.filter((o) => o.kind === 'PriorityClass').map((o: any) => [o.metadata.name, o]));
    for (const ds of workloads.filter((w) => w.kind === 'DaemonSet')) {
      const pc = classes.get(podSpec(ds).priorityClassName) as any;
      expect({ ds: owner(ds), value: pc?.value > 0, globalDefault: pc?.globalDefault }).toEqual({ ds: owner(ds), value: true, globalDefault: false });
    }
  });

  test('nothing lost: every store the config persists keeps its data on a PersistentVolumeClaim and gets at least 60 s to flush on shutdown', () => {
    const claims = new Set(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const config = shippedConfigOf(env).config;
    // traces.storage memory keeps spans in Jaeger's memory on purpose (a throwaway install), and a search store keeps them outside.
    const stores = [
      ...metricsBackend(config).stores,
      'StatefulSet/loki',
      'StatefulSet/grafana',
      ...(config.postgres ? [`StatefulSet/${config.postgres.name}`] : []),
      ...(config.traces.storage === 'badger' ? ['StatefulSet/jaeger'] : []),
      'Deployment/otel-collector',
    ];
    for (const name of stores) {
      const w = workloads.find((o) => owner(o) === name)!;
      expect(w).toBeDefined();
      const templates = new Set((w.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name));
      const pvcVolumes = new Set((podSpec(w).volumes ?? []).filter((v: any) => v.persistentVolumeClaim && claims.has(`${w.metadata.namespace}/${v.persistentVolumeClaim.claimName}`)).map((v: any) => v.name));
      const mounted = podSpec(w).containers.flatMap((c: any) => c.volumeMounts ?? []).filter((m: any) => templates.has(m.name) || pvcVolumes.has(m.name));
      expect({ name, persistentMount: mounted.length > 0 }).toEqual({ name, persistentMount: true });
      expect({ name, grace: podSpec(w).terminationGracePeriodSeconds >= 60 }).toEqual({ name, grace: true });
    }
    // No store keeps data on an emptyDir without a size limit (a full node disk evicts everything on it).
    for (const w of workloads) {
      for (const v of podSpec(w).volumes ?? []) if (v.emptyDir) expect({ w: owner(w), v: v.name, sizeLimit: !!v.emptyDir.sizeLimit }).toEqual({ w: owner(w), v: v.name, sizeLimit: true });
    }
  });

  test('PodDisruptionBudgets: one per Deployment and StatefulSet, maxUnavailable >= 1, none that can block a drain', () => {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const pdb of pdbs) {
      expect({ pdb: pdb.metadata.name, minAvailable: pdb.spec.minAvailable, maxUnavailable: pdb.spec.maxUnavailable >= 1 }).toEqual({
        pdb: pdb.metadata.name,
        minAvailable: undefined,
        maxUnavailable: true,
      });
    }
    for (const w of workloads.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
      const covering = pdbs.filter((p) => p.metadata.namespace === w.metadata.namespace && selectorMatches(p.spec.selector, w.spec.template.metadata.labels));
      expect({ w: owner(w), pdbs: covering.length }).toEqual({ w: owner(w), pdbs: 1 });
    }
  });

  test('every Service selects at least one pod of the stack', () => {
    for (const s of objects.filter((o) => o.kind === 'Service')) {
      const selects = workloads.some((w) => w.metadata.namespace === s.metadata.namespace && selectorMatches({ matchLabels: s.spec.selector }, w.spec.template.metadata.labels));
      expect({ service: s.metadata.name, selects }).toEqual({ service: s.metadata.name, selects: true });
    }
  });
});

test('every exception in src/security/exceptions.ts is used by some object, and has a reason', () => {
  const listed = [
    ...Object.entries(POLICY_EXCEPTIONS).flatMap(([o, checks]) => Object.keys(checks).map((c) => `${o}:${c}`)),
    ...Object.keys(RBAC_WRITES),
  ];
  expect(listed.filter((e) => !used.has(e))).toEqual([]);
  for (const e of Object.values(RBAC_WRITES)) expect(e.reason.length).toBeGreaterThan(40);
  for (const checks of Object.values(POLICY_EXCEPTIONS)) for (const reason of Object.values(checks)) expect(reason!.length).toBeGreaterThan(40);
  // The figures of the closing note: printed, so the report quotes the test rather than a count by hand.
  console.log(`policy: ${containersChecked} containers checked, ${exceptionCount()} exceptions with reasons`);
});
