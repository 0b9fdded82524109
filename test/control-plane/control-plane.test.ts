/**
 * The synthesized manifests on a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler at KUBERNETES_VERSION), applied as Argo CD syncs them: prod and qa, the HA and agent
 * examples, the upgrade from the previous revision of dist/, and broken fixtures that show each check failing.
 *
 * Started once for this file; environments are applied one after another on the same four simulated nodes
 * and removed in between. No kubelet, container runtime or CNI: see nodes.ts for what is simulated.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ETCD_VERSION, KUBERNETES_VERSION, toolSpec } from '../../scripts/tools/catalog';
import { prometheusYaml } from '../support/dist-files';
import { expectCleanLog, freePort, problemLines, stopAll, tempDir } from '../support/process';
import { startLokiPushStandIn } from '../support/loki-push-stand-in';
import { toYaml } from '../../src/lib/yaml';
import { EVENTS_JOB, LEADER_ELECTION_ID } from '../../src/components/event-exporter/event-exporter';
import { REPO_ROOT, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';
import { startPrometheus, startReceiverSink } from '../support/prometheus-pods';
import { activeTargets, serviceAccountKubeconfig, startInPod, startKubeStateMetrics } from './as-service-account';
import { idOf, isServerSide, K8sObject, loadEnvironment, Manifest, SyncReport, syncLikeArgoCd } from './argocd-sync';
import { checkPods, checkRbac, RbacRow } from './checks';
import { ControlPlane, startControlPlane } from './cluster';
import { createVolumes, environmentDirs, installClusterAddOns, loadApplications, previousRevision, removeEnvironment } from './environment';
import { serviceAccountNeeds, serviceAccounts, undefinedAccountUsers } from './needs';
import { CLUSTER_NODES, simulateNodes, SimulatedNodes } from './nodes';

const toolVersion = (name: string): string => toolSpec(name).version;

/** The API server's limit on all annotations of one object together (apimachinery TotalAnnotationSizeLimitB). */
const ANNOTATION_LIMIT = 256 * 1024;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

let cp: ControlPlane;
let nodes: SimulatedNodes;
const summary: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  cp = await startControlPlane();
  nodes = await simulateNodes(cp.client, `v${KUBERNETES_VERSION}`);
  await installClusterAddOns(cp);
  summary.push(
    `control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(cp.startup)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')})`,
  );
}, 240_000);

afterAll(async () => {
  await nodes?.stop();
  await cp?.stop();
  await stopAll();
  if (summary.length) console.log(summary.join('\n'));
}, 60_000);

const problemsText = (problems: ReadonlyArray<{ object: string; message: string }>): string => problems.map((p) => `${p.object}: ${p.message}`).join('\n');

/** A PodSecurity warning the API server returns for a workload in a namespace whose `warn` level is stricter than `enforce`. */
const POD_SECURITY_WARNING = /^Warning: would violate PodSecurity "restricted:latest": /;

/** The pod-template objects whose Pod Security warnings name them: a server dry-run create of a renamed copy. */
async function podSecurityWarnings(objects: readonly K8sObject[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const o of objects.filter((x) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(x.kind))) {
    const copy = structuredClone(o);
    copy.metadata.name = `${o.metadata.name}-dry-run`;
    delete copy.metadata.annotations;
    const group = o.apiVersion;
    const resource = `${o.kind.toLowerCase()}s`;
    const res = await cp.client.request('POST', `/apis/${group}/namespaces/${o.metadata.namespace}/${resource}?dryRun=All&fieldValidation=Strict`, copy);
    if (res.status !== 201) throw new Error(`dry-run create of ${idOf(o)}: HTTP ${res.status}: ${res.body?.message}`);
    if (res.warnings.length) out.set(idOf(o), res.warnings);
  }
  return out;
}

function formatRbac(rows: readonly RbacRow[]): string {
  return rows.map((r) => `    ${r.serviceAccount}: allowed ${r.allowed.join('; ') || '(nothing)'}; denied ${r.denied.length} of the forbidden probes`).join('\n');
}

interface Applied {
  readonly manifests: Manifest[];
  readonly report: SyncReport;
  readonly applications: SyncReport;
}

/** Applies an environment's Applications and manifests to the (empty) cluster, as Argo CD would. */
async function applyEnvironment(envDir: string, volumePrefix: string): Promise<Applied> {
  const manifests = loadEnvironment(envDir);
  await createVolumes(cp, volumePrefix, manifests.map((m) => m.object));
  const applications = await syncLikeArgoCd(
    cp,
    loadApplications(envDir).map((m) => m.object),
  );
  const report = await syncLikeArgoCd(
    cp,
    manifests.map((m) => m.object),
  );
  return { manifests, report, applications };
}

// ---- Broken fixtures: each check fails, naming the object and the reason ------------------------------------

interface Fixture {
  readonly description: string;
  readonly environment: string;
  readonly target: { kind: string; namespace?: string; name: string };
  readonly patch: Array<{ op: 'add' | 'remove' | 'replace'; path: string; value?: unknown }>;
  readonly check: 'apply' | 'pods' | 'rbac';
  readonly expect: string[];
}

const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'control-plane');
const FIXTURE_ENVIRONMENT = 'prod';

function applyJsonPatch(o: any, patch: Fixture['patch']): any {
  const copy = structuredClone(o);
  for (const op of patch) {
    const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent = copy;
    for (const k of keys) {
      if (parent[k] === undefined) throw new Error(`patch path ${op.path}: no ${k}`);
      parent = parent[k];
    }
    if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`patch path ${op.path}: nothing to remove`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (Array.isArray(parent) && op.op === 'add') parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
    else parent[last] = op.value;
  }
  return copy;
}

/** The broken fixtures, on the live prod environment: each breaks one object, runs one check, then restores it. */
function brokenFixtures(env: string, manifests: () => readonly Manifest[]): void {
  const fixtures = fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.yaml')).sort();

  test('there is a fixture for each check', () => {
    const checks = fixtures.map((f) => (parse(fs.readFileSync(path.join(FIXTURE_DIR, f), 'utf8')) as Fixture).check);
    expect(new Set(checks)).toEqual(new Set(['apply', 'pods', 'rbac']));
  });

  test.each(fixtures)('broken fixture %s fails its check with a clear message', async (file) => {
    const fixture = parse(fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as Fixture;
    expect(fixture.environment).toBe(env);
    const { kind, namespace, name } = fixture.target;
    const original = manifests().find((m) => m.object.kind === kind && m.object.metadata.name === name && (namespace === undefined || m.object.metadata.namespace === namespace));
    if (!original) throw new Error(`${file}: no ${kind} ${namespace ?? ''}/${name} in ${env}`);
    const broken = applyJsonPatch(original.object, fixture.patch);
    const report = await syncLikeArgoCd(cp, [broken], { waveTimeoutMs: 5_000 });
    let messages: string[] = [];
    if (fixture.check === 'apply') messages = report.problems.map((p) => `${p.object}: ${p.message}`);
    if (fixture.check === 'pods') messages = (await checkPods(cp.client, [{ object: broken, file: original.file }], CLUSTER_NODES)).problems;
    if (fixture.check === 'rbac') messages = (await checkRbac(cp.client, serviceAccounts(manifests()), serviceAccountNeeds(manifests()), [])).problems;
    // Put the original back for the next fixture.
    const restored = await syncLikeArgoCd(cp, [original.object], { waveTimeoutMs: 30_000 });
    summary.push(`fixture ${file}: ${fixture.description}\n    ${messages.join('\n    ')}`);
    for (const text of fixture.expect) expect(messages.join('\n')).toContain(text);
    expect(problemsText(restored.problems)).toBe('');
  }, 120_000);
}

const volumeSet = (env: string): string => `pv-${env.replace(/\W+/g, '-')}`;

describe.each(environmentDirs())('%s on Kubernetes ' + KUBERNETES_VERSION, (env, envDir) => {
  let applied: Applied;

  beforeAll(async () => {
    const started = Date.now();
    applied = await applyEnvironment(envDir, volumeSet(env));
    summary.push(`${env}: synced in ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(applied.report.seconds).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
  }, 240_000);

  afterAll(async () => {
    if (applied) {
      const started = Date.now();
      await removeEnvironment(cp, [...applied.manifests.map((m) => m.object), ...loadApplications(envDir).map((m) => m.object)], volumeSet(env));
      summary.push(`${env}: removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }, 120_000);

  test('the Argo CD Applications are accepted against the Application CRD', () => {
    expect(problemsText(applied.applications.problems)).toBe('');
    expect(applied.applications.applied.length).toBe(loadApplications(envDir).length);
  });

  test('every object is accepted in sync-wave order, each wave healthy before the next', () => {
    expect(problemsText(applied.report.problems)).toBe('');
    expect(applied.report.applied.sort()).toEqual(applied.manifests.map((m) => idOf(m.object)).sort());
  });

  test('client-side applied objects keep their last-applied-configuration under the 256 KiB annotation limit; server-side ones carry none', async () => {
    let largest = { object: '', bytes: 0 };
    let largestServerSide = { object: '(none)', bytes: 0 };
    for (const { object } of applied.manifests) {
      const live = await cp.client.get(await cp.client.pathOf(object));
      const annotations: Record<string, string> = live.metadata.annotations ?? {};
      const total = Object.entries(annotations).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
      if (isServerSide(object)) {
        expect({ object: idOf(object), lastApplied: annotations[LAST_APPLIED] }).toEqual({ object: idOf(object), lastApplied: undefined });
        // What client-side apply would have written into the annotation.
        const bytes = Buffer.byteLength(JSON.stringify(object));
        if (bytes > largestServerSide.bytes) largestServerSide = { object: idOf(object), bytes };
      } else {
        expect({ object: idOf(object), hasLastApplied: LAST_APPLIED in annotations }).toEqual({ object: idOf(object), hasLastApplied: true });
        // kubectl wrote what it applied, as JSON: the manifest itself (a cluster-wide object without the namespace
        // some of the manifests give it, which kubectl drops).
        const manifest = structuredClone(object);
        if (!live.metadata.namespace) delete manifest.metadata.namespace;
        expect({ object: idOf(object), lastApplied: JSON.parse(annotations[LAST_APPLIED]) }).toEqual({ object: idOf(object), lastApplied: manifest });
      }
      expect({ object: idOf(object), under: total < ANNOTATION_LIMIT }).toEqual({ object: idOf(object), under: true });
      if (total > largest.bytes) largest = { object: idOf(object), bytes: total };
    }
    summary.push(
      `${env}: largest annotations ${largest.object} ${(largest.bytes / 1024).toFixed(1)} KiB of ${ANNOTATION_LIMIT / 1024} KiB; ` +
        `largest server-side object ${largestServerSide.object} (${(largestServerSide.bytes / 1024).toFixed(1)} KiB as last-applied)`,
    );
  }, 120_000);

  test('the API server warns only about Pod Security in namespaces that enforce less than restricted', async () => {
    const other = applied.report.warnings.filter((w) => !POD_SECURITY_WARNING.test(w));
    expect(other).toEqual([]);
    const byObject = await podSecurityWarnings(applied.manifests.map((m) => m.object));
    const lines: string[] = [];
    for (const [object, warnings] of byObject) {
      const ns = object.split(' ')[1].split('/')[0];
      const labels = (await cp.client.get(`/api/v1/namespaces/${ns}`)).metadata.labels;
      expect({ object, warnings, enforce: labels['pod-security.kubernetes.io/enforce'] }).toEqual({ object, warnings, enforce: 'privileged' });
      lines.push(`    ${object}: ${warnings.join('; ')}`);
    }
    // kubectl printed (once each) the same Pod Security warnings the objects have.
    expect(new Set(applied.report.warnings.filter((w) => POD_SECURITY_WARNING.test(w)))).toEqual(new Set([...byObject.values()].flat().map((w) => `Warning: ${w}`)));
    summary.push(`${env}: Pod Security warnings (warn=restricted on privileged namespaces, by design):\n${lines.join('\n') || '    (none)'}`);
  }, 60_000);

  test('the namespaces carry their Pod Security labels in the cluster, so admission enforces them', async () => {
    for (const { object } of applied.manifests.filter((m) => m.object.kind === 'Namespace')) {
      const live = await cp.client.get(`/api/v1/namespaces/${object.metadata.name}`);
      const wanted = Object.fromEntries(Object.entries(object.metadata.labels ?? {}).filter(([k]) => k.startsWith('pod-security.kubernetes.io/')));
      expect(Object.keys(wanted)).toContain('pod-security.kubernetes.io/enforce');
      expect({ ns: object.metadata.name, labels: live.metadata.labels }).toEqual({ ns: object.metadata.name, labels: expect.objectContaining(wanted) });
    }
  });

  test('every workload has its pods, created by the controllers and placed by the scheduler: node agents on every node, GPU agents on the GPU node only', async () => {
    const result = await checkPods(cp.client, applied.manifests, CLUSTER_NODES);
    expect(result.problems.join('\n')).toBe('');
    expect(nodes.errors).toEqual([]);
    expect(result.scheduled).toBe(result.created);
    const objects = applied.manifests.length;
    summary.push(
      `${env}: ${objects} objects applied (${applied.manifests.filter((m) => isServerSide(m.object)).length} server-side), ${result.created} pods created, ${result.scheduled} scheduled on ${CLUSTER_NODES.length} nodes\n` +
        result.rows.map((r) => `    ${r.workload}: ${r.pods} on ${[...new Set(r.nodes)].join(', ')}`).join('\n') +
        `\n    requests per node (of ${CLUSTER_NODES[0].capacity.cpu} CPU, ${CLUSTER_NODES[0].capacity.memory}): ${Object.entries(result.requested)
          .sort()
          .map(([n, r]) => `${n} ${r.cpu.toFixed(2)} CPU ${r.memoryGiB.toFixed(1)} GiB`)
          .join(', ')}`,
    );
  }, 60_000);

  test('RBAC: each ServiceAccount may do what its component needs, and no Secrets, wildcards or writes beyond that', async () => {
    const accounts = serviceAccounts(applied.manifests);
    const needs = serviceAccountNeeds(applied.manifests);
    const namespaces = applied.manifests.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name);
    // A workload that runs as an account the manifests do not define (the namespace's `default`) gets no token.
    for (const u of undefinedAccountUsers(applied.manifests)) expect(u).toEqual({ workload: u.workload, serviceAccount: expect.stringMatching(/\/default$/), automount: false });
    const result = await checkRbac(cp.client, accounts, needs, namespaces);
    summary.push(`${env}: RBAC (SubjectAccessReview per ServiceAccount)\n${formatRbac(result.rows)}`);
    expect(result.problems.join('\n')).toBe('');
  }, 120_000);

  if (fs.existsSync(path.join(envDir, 'prometheus.k8s.yaml'))) {
    test(`Prometheus ${toolVersion('prometheus')}, with the synthesized scrape config and its own ServiceAccount, discovers exactly the annotated pods, labelled app, namespace, pod and node`, async () => {
      const sts = applied.manifests.find((m) => m.object.kind === 'StatefulSet' && m.object.metadata.name === 'prometheus')!.object;
      const kubeconfig = await serviceAccountKubeconfig(cp, sts.metadata.namespace!, sts.spec.template.spec.serviceAccountName);
      // The sink stands in for Alertmanager, which Watchdog's alert reaches.
      const alertmanager = await startReceiverSink();
      const { proc, url } = await startPrometheus(envDir, { kubeconfig, alertmanager: new URL(alertmanager.url).host });
      try {
        const config = parse(prometheusYaml(envDir));
        const job = config.scrape_configs.find((j: any) =>
          j.relabel_configs?.some((r: any) => r.action === 'keep' && r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_scrape')),
        );
        const namespaces = applied.manifests.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name);
        const pods = (await Promise.all(namespaces.map((ns) => cp.client.list(`/api/v1/namespaces/${ns}/pods`)))).flat();
        const annotated = pods.filter((p: any) => p.metadata.annotations?.['prometheus.io/scrape'] === 'true' && p.status.phase === 'Running');
        const expected = annotated
          .map((p: any) => ({
            app: p.metadata.labels.app ?? p.metadata.labels['app.kubernetes.io/name'],
            namespace: p.metadata.namespace,
            pod: p.metadata.name,
            node: p.spec.nodeName,
            instance: `${p.status.podIP}:${p.metadata.annotations['prometheus.io/port']}`,
          }))
          .sort((a: any, b: any) => a.pod.localeCompare(b.pod));
        expect(expected.length).toBeGreaterThan(0);
        expect(pods.length).toBeGreaterThan(expected.length);
        const targets = await activeTargets(url, job.job_name, expected.length);
        const seen = targets
          .map((t) => ({ app: t.labels.app, namespace: t.labels.namespace, pod: t.labels.pod, node: t.labels.node, instance: t.labels.instance }))
          .sort((a, b) => a.pod.localeCompare(b.pod));
        expect(seen).toEqual(expected);
        expect(problemLines(proc.log())).toEqual([]);
        summary.push(`${env}: Prometheus discovered ${seen.length} annotated pods of ${pods.length} (${seen.map((t) => `${t.namespace}/${t.pod} app=${t.app} node=${t.node}`).join(', ')})`);
      } finally {
        await proc.stop();
        await alertmanager.close();
      }
    }, 120_000);
  }

  const ksm = loadEnvironment(envDir).find((m) => m.object.kind === 'Deployment' && m.object.metadata.name === 'kube-state-metrics');
  if (ksm) {
    test(`kube-state-metrics ${toolVersion('kube-state-metrics')}, with the Deployment's arguments and its own ServiceAccount, reports every pod and node as the cluster has them, and logs no error`, async () => {
      const { proc, metricsUrl } = await startKubeStateMetrics(cp, ksm.object);
      try {
        const namespaces = new Set(applied.manifests.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name));
        const pods = (await Promise.all([...namespaces].map((ns) => cp.client.list(`/api/v1/namespaces/${ns}/pods`)))).flat();
        const expectedPods = pods.map((p: any) => `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName}`).sort();
        // Its informers fill in the background: wait until it reports what the API server has.
        const deadline = Date.now() + 30_000;
        let reported: string[] = [];
        let nodesSeen: string[] = [];
        while (Date.now() < deadline) {
          const text = await (await fetch(metricsUrl)).text();
          const label = (line: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1];
          reported = text
            .split('\n')
            .filter((l) => l.startsWith('kube_pod_info{') && namespaces.has(label(l, 'namespace')!))
            .map((l) => `${label(l, 'namespace')}/${label(l, 'pod')} on ${label(l, 'node')}`)
            .sort();
          nodesSeen = text.split('\n').filter((l) => l.startsWith('kube_node_info{')).map((l) => label(l, 'node')!).sort();
          if (JSON.stringify(reported) === JSON.stringify(expectedPods) && nodesSeen.length === CLUSTER_NODES.length) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        expect(reported).toEqual(expectedPods);
        expect(nodesSeen).toEqual(CLUSTER_NODES.map((n) => n.name).sort());
        expectCleanLog(proc.name, proc.log());
        summary.push(`${env}: kube-state-metrics as ${ksm.object.metadata.namespace}/${ksm.object.spec.template.spec.serviceAccountName} reported ${reported.length} pods and ${nodesSeen.length} nodes`);
      } finally {
        await proc.stop();
      }
    }, 120_000);
  }

  const eventExporter = loadEnvironment(envDir).find((m) => m.object.kind === 'Deployment' && m.object.metadata.name === 'kube-event-exporter');
  if (eventExporter) {
    test(`kubernetes-event-exporter ${toolVersion('kubernetes-event-exporter')}, in-cluster as its own ServiceAccount, takes its lock in its namespace and ships a Warning event made through the API, and only Warning events, to Loki as the README's queries read them`, async () => {
      const deployment = eventExporter.object;
      const namespace = deployment.metadata.namespace!;
      const podSpec = deployment.spec.template.spec;
      const container = podSpec.containers[0];
      const configMap = applied.manifests.find((m) => m.object.kind === 'ConfigMap' && m.object.metadata.name === podSpec.volumes.find((v: any) => v.configMap).configMap.name)!.object;
      const config = parse(configMap.data['config.yaml']);
      const loki = config.receivers.find((r: any) => r.loki).loki;
      const lokiStandIn = await startLokiPushStandIn();
      const dir = tempDir('event-exporter');
      fs.chmodSync(dir, 0o755);
      const conf = path.join(dir, 'config.yaml');
      fs.writeFileSync(conf, toYaml({ ...config, receivers: config.receivers.map((r: any) => (r.loki ? { ...r, loki: { ...r.loki, url: `${lokiStandIn.url}${new URL(loki.url).pathname}` } } : r)) }), { mode: 0o644 });
      const metricsPort = await freePort();
      const args = (container.args as string[]).map((a) => (a.startsWith('-conf=') ? `-conf=${conf}` : a.startsWith('-metrics-address=') ? `-metrics-address=127.0.0.1:${metricsPort}` : a));
      const proc = await startInPod(cp, `event exporter (${env})`, { namespace, podSpec, container, binary: requireTool('kubernetes-event-exporter'), args });
      try {
        await proc.waitForHttp(`http://127.0.0.1:${metricsPort}${container.livenessProbe.httpGet.path}`, 30_000);
        // Its lock, in the namespace the pod's ServiceAccount volume names, held by it.
        const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEADER_ELECTION_ID}`;
        const deadline = Date.now() + 30_000;
        let holder: string | undefined;
        while (!holder && Date.now() < deadline) {
          const res = await cp.client.request('GET', leasePath);
          holder = res.status === 200 ? res.body.spec?.holderIdentity : undefined;
          if (!holder) await new Promise((r) => setTimeout(r, 250));
        }
        if (!holder) throw new Error(`no holder of ${leasePath} within 30 s. The exporter's log:\n${proc.log()}`);
        expect(holder).toMatch(/^.+_[0-9a-f-]{36}$/);
        expect((await cp.client.request('GET', `/apis/coordination.k8s.io/v1/namespaces/default/leases/${LEADER_ELECTION_ID}`)).status).toBe(404);
        // Events of an application namespace, made through the API as the kubelet would report them.
        const appNamespace = applied.manifests.map((m) => m.object).find((o) => o.kind === 'Namespace' && o.metadata.name !== namespace)!.metadata.name;
        const made = ['Normal', 'Warning'].map((type) => ({ type, reason: type === 'Warning' ? 'BackOff' : 'Pulled', name: `checkout-0.${type.toLowerCase()}-${Date.now()}` }));
        for (const e of made) {
          const now = new Date().toISOString();
          await cp.client.create(`/api/v1/namespaces/${appNamespace}/events`, {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: e.name, namespace: appNamespace },
            involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: appNamespace, name: 'checkout-0' },
            reason: e.reason,
            message: `${e.reason} of checkout-0`,
            type: e.type,
            count: 3,
            source: { component: 'kubelet', host: CLUSTER_NODES[0].name },
            firstTimestamp: now,
            lastTimestamp: now,
          });
        }
        const lines = () => lokiStandIn.pushes.flatMap((p) => p.body.streams.flatMap((s: any) => s.values.map(([, line]: [string, string]) => ({ path: p.path, tenant: p.headers['x-scope-orgid'], stream: s.stream, line: JSON.parse(line) }))));
        const mine = () => lines().filter((l) => l.line.namespace === appNamespace && l.line.name === 'checkout-0');
        const until = Date.now() + 20_000;
        while (mine().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        // Give a wrongly routed Normal event time to arrive too.
        await new Promise((r) => setTimeout(r, 1_500));
        expect(mine()).toEqual([
          {
            path: new URL(loki.url).pathname,
            tenant: loki.headers?.['X-Scope-OrgID'],
            stream: { job: EVENTS_JOB },
            line: {
              namespace: appNamespace,
              kind: 'Pod',
              name: 'checkout-0',
              reason: 'BackOff',
              type: 'Warning',
              message: 'BackOff of checkout-0',
              count: '3',
              component: 'kubelet',
              node: CLUSTER_NODES[0].name,
              lastTimestamp: expect.any(String),
            },
          },
        ]);
        // The cluster's own events (scheduling, controllers) pass the same route: Warning ones only.
        expect(lines().filter((l) => l.line.type !== 'Warning')).toEqual([]);
        expectCleanLog(proc.name, proc.log());
        summary.push(
          `${env}: the event exporter, in-cluster as ${namespace}/${podSpec.serviceAccountName}, holds ${leasePath} and shipped ${lines().length} Warning event line(s) to the Loki stand-in, ours as ${JSON.stringify(mine()[0]?.line)}`,
        );
      } finally {
        await proc.stop();
        await lokiStandIn.close();
      }
    }, 120_000);
  }

  // Last, as they change the live objects (and put them back).
  if (env === FIXTURE_ENVIRONMENT) brokenFixtures(env, () => applied.manifests);
});

/**
 * StatefulSets whose volumeClaimTemplates differ between two revisions in their labels or annotations only:
 * the API server refuses the change (the field is immutable), and the README's one-time upgrade step (delete the
 * StatefulSet with --cascade=orphan, then sync) recreates it over the same pods and claims.
 */
function claimTemplateMetadataChanges(before: readonly K8sObject[], after: readonly K8sObject[]): string[] {
  const strip = (templates: any[] = []) => JSON.stringify(templates.map((t) => ({ ...t, metadata: { name: t.metadata?.name } })));
  return after
    .filter((o) => o.kind === 'StatefulSet')
    .filter((o) => {
      const old = before.find((b) => idOf(b) === idOf(o));
      if (!old) return false;
      const changed = JSON.stringify(old.spec.volumeClaimTemplates ?? []) !== JSON.stringify(o.spec.volumeClaimTemplates ?? []);
      return changed && strip(old.spec.volumeClaimTemplates) === strip(o.spec.volumeClaimTemplates);
    })
    .map(idOf)
    .sort();
}

interface Upgrade {
  readonly previous: ReturnType<typeof previousRevision>;
  readonly current: Manifest[];
  readonly first: SyncReport;
  readonly second: SyncReport;
  readonly refused: string[];
  readonly afterStep: SyncReport;
}

/** Syncs the previous revision of an environment, then the current one over it, as Argo CD's automated sync would. */
async function upgrade(env: string): Promise<Upgrade> {
  const started = Date.now();
  const current = loadEnvironment(path.join(synthesizedShippedConfigs(), env));
  const previous = previousRevision(env, current);
  await createVolumes(cp, `pv-upgrade-${env}`, [...previous.manifests, ...current].map((m) => m.object));
  const first = await syncLikeArgoCd(cp, previous.manifests.map((m) => m.object));
  const second = await syncLikeArgoCd(cp, current.map((m) => m.object), { previous: previous.manifests.map((m) => m.object) });
  const refused = second.problems.filter((p) => /spec\.volumeClaimTemplates: Invalid value: .*field is immutable/s.test(p.message)).map((p) => p.object).sort();
  // The README's one-time step for those, then Argo CD's next sync, which finds only those out of sync.
  for (const id of refused) {
    const [, ns, name] = /^StatefulSet ([^/]+)\/(.+)$/.exec(id)!;
    const r = await cp.kubectl(['delete', 'statefulset', '-n', ns, name, '--cascade=orphan']);
    if (r.code !== 0) throw new Error(`kubectl delete statefulset -n ${ns} ${name} --cascade=orphan: ${r.stderr}`);
  }
  const afterStep = refused.length ? await syncLikeArgoCd(cp, current.map((m) => m.object).filter((o) => refused.includes(idOf(o)))) : second;
  const steps = (r: SyncReport) => Object.entries(r.seconds).map(([k, v]) => `${k} ${v} s`).join(', ');
  summary.push(`upgrade ${env}: ${((Date.now() - started) / 1000).toFixed(1)} s (previous: ${steps(first)}; current: ${steps(second)})`);
  return { previous, current, first, second, refused, afterStep };
}

// prod and qa at once, as on a cluster they share: their namespaces and cluster-wide names are their own.
describe('upgrade from the previous revision of dist/', () => {
  const upgrades = new Map<string, Upgrade>();

  beforeAll(async () => {
    await Promise.all(['prod', 'qa'].map(async (env) => upgrades.set(env, await upgrade(env))));
  }, 300_000);

  afterAll(async () => {
    const started = Date.now();
    await Promise.all(
      [...upgrades].map(([env, u]) => removeEnvironment(cp, [...u.previous.manifests, ...u.current].map((m) => m.object), `pv-upgrade-${env}`)),
    );
    summary.push(`upgrades removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);

  test.each(['prod', 'qa'])('%s: the previous revision applies', (env) => {
    expect(problemsText(upgrades.get(env)!.first.problems)).toBe('');
  });

  test.each(['prod', 'qa'])('%s: the API server refuses no change but a StatefulSet claim template whose labels changed (the README upgrade step)', (env) => {
    const { previous, current, second, refused } = upgrades.get(env)!;
    const expected = claimTemplateMetadataChanges(previous.manifests.map((m) => m.object), current.map((m) => m.object));
    expect(refused).toEqual(expected);
    expect(problemsText(second.problems.filter((p) => !refused.includes(p.object)))).toBe('');
    summary.push(
      `upgrade ${env} from ${previous.subject.slice(0, 90)}:\n    ${
        refused.length ? `refused until the README step (delete --cascade=orphan): ${second.problems.map((p) => `${p.object}: ${p.message.slice(0, 160)}…`).join('\n    ')}` : 'nothing refused'
      }`,
    );
  });

  test.each(['prod', 'qa'])('%s: the current revision then applies: every wave healthy, pods on the current templates, what is gone pruned', async (env) => {
    const { current, second, refused, afterStep } = upgrades.get(env)!;
    expect(problemsText(afterStep.problems)).toBe('');
    const pods = await checkPods(cp.client, current, CLUSTER_NODES);
    expect(pods.problems.join('\n')).toBe('');
    summary.push(`    then ${second.applied.length + (refused.length ? afterStep.applied.length : 0)} objects applied, ${second.pruned.length} pruned${second.pruned.length ? ` (${second.pruned.join(', ')})` : ''}, ${pods.created} pods of the current templates`);
  }, 60_000);
});

describe('the control plane', () => {
  test('the simulated nodes stayed Ready throughout: no not-ready or unreachable taint, no heartbeat error', async () => {
    const live = await cp.client.list('/api/v1/nodes');
    const state = live.map((n: any) => ({
      node: n.metadata.name,
      ready: n.status.conditions.find((c: any) => c.type === 'Ready')?.status,
      taints: (n.spec.taints ?? []).map((t: any) => t.key).sort(),
    }));
    expect(state).toEqual(
      CLUSTER_NODES.map((n) => ({ node: n.name, ready: 'True', taints: n.taints.map((t) => t.key).sort() })),
    );
    expect(nodes.errors).toEqual([]);
  });

  test(`kube-apiserver reports v${KUBERNETES_VERSION}; etcd ${ETCD_VERSION}`, async () => {
    expect((await cp.client.get('/version')).gitVersion).toBe(`v${KUBERNETES_VERSION}`);
    expect(run(requireTool('etcd'), ['--version']).stdout).toContain(`etcd Version: ${ETCD_VERSION}`);
  });

  test('the Kubernetes module builds the release of KUBERNETES_VERSION with every staging module at the same release, and the etcd kubeadm pairs with it', () => {
    const goMod = (dir: string) => fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'tools', 'go', dir, 'go.mod'), 'utf8');
    const kubernetes = goMod('kubernetes');
    const [, minor, patch] = KUBERNETES_VERSION.split('.');
    expect(kubernetes).toMatch(new RegExp(`^\\tk8s\\.io/kubernetes v${KUBERNETES_VERSION.replace(/\./g, '\\.')}\\b`, 'm'));
    const replaces = [...kubernetes.matchAll(/^\t(k8s\.io\/[\w-]+) => (k8s\.io\/[\w-]+) (v\S+)$/gm)];
    expect(replaces.length).toBeGreaterThan(25);
    for (const [, from, to, version] of replaces) expect({ from, to, version }).toEqual({ from, to: from, version: `v0.${minor}.${patch}` });
    // The etcd client Kubernetes is built with, and the etcd server the tests run, are ETCD_VERSION.
    expect(kubernetes).toMatch(new RegExp(`^\\tgo\\.etcd\\.io/etcd/client/v3 v${ETCD_VERSION.replace(/\./g, '\\.')}\\b`, 'm'));
    expect(goMod('etcd')).toMatch(new RegExp(`^\\tgo\\.etcd\\.io/etcd/server/v3 v${ETCD_VERSION.replace(/\./g, '\\.')}$`, 'm'));
  });
});

