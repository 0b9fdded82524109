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
import { ETCD_VERSION, KUBERNETES_VERSION } from '../../scripts/tools/catalog';
import { synthesize } from '../../src/synth';
import { stopAll, tempDir } from '../support/process';
import { REPO_ROOT, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';
import { idOf, isServerSide, K8sObject, loadEnvironment, Manifest, SyncReport, syncLikeArgoCd } from './argocd-sync';
import { checkPods, checkRbac, RbacRow } from './checks';
import { ControlPlane, startControlPlane } from './cluster';
import { createVolumes, installClusterAddOns, loadApplications, previousRevision, removeEnvironment } from './environment';
import { serviceAccountNeeds, serviceAccounts } from './needs';
import { CLUSTER_NODES, simulateNodes, SimulatedNodes } from './nodes';

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

/** Environments by name: the shipped configs, and the examples synthesized here. */
function environmentDirs(): Array<[string, string]> {
  const shipped = synthesizedShippedConfigs();
  const examples = tempDir('control-plane-examples');
  for (const example of ['ha.yaml', 'agent.yaml']) synthesize({ config: path.join(REPO_ROOT, 'examples', example), out: examples });
  return [
    ...fs.readdirSync(shipped).sort().map((env): [string, string] => [env, path.join(shipped, env)]),
    ...fs.readdirSync(examples).sort().map((env): [string, string] => [`example ${env}`, path.join(examples, env)]),
  ];
}

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
  return rows
    .map((r) => `  ${r.serviceAccount}\n    allowed: ${r.allowed.join('; ') || '(nothing)'}\n    denied:  ${r.denied.join('; ')}`)
    .join('\n');
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

describe.each(environmentDirs())('%s on Kubernetes ' + KUBERNETES_VERSION, (env, envDir) => {
  let applied: Applied;

  beforeAll(async () => {
    applied = await applyEnvironment(envDir, `pv-${env.replace(/\W+/g, '-')}`);
  }, 240_000);

  afterAll(async () => {
    if (applied) {
      await removeEnvironment(cp, [...applied.manifests.map((m) => m.object), ...loadApplications(envDir).map((m) => m.object)]);
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
    for (const { object } of applied.manifests) {
      const live = await cp.client.get(await cp.client.pathOf(object));
      const annotations: Record<string, string> = live.metadata.annotations ?? {};
      const total = Object.entries(annotations).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
      if (isServerSide(object)) {
        expect({ object: idOf(object), lastApplied: annotations[LAST_APPLIED] }).toEqual({ object: idOf(object), lastApplied: undefined });
      } else {
        expect({ object: idOf(object), hasLastApplied: LAST_APPLIED in annotations }).toEqual({ object: idOf(object), hasLastApplied: true });
        // kubectl wrote what it applied, as JSON: the manifest itself.
        expect(JSON.parse(annotations[LAST_APPLIED]).metadata.name).toBe(object.metadata.name);
      }
      expect({ object: idOf(object), under: total < ANNOTATION_LIMIT }).toEqual({ object: idOf(object), under: true });
      if (total > largest.bytes) largest = { object: idOf(object), bytes: total };
    }
    summary.push(`${env}: largest annotations ${largest.object} ${(largest.bytes / 1024).toFixed(1)} KiB of ${ANNOTATION_LIMIT / 1024} KiB`);
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
        result.rows.map((r) => `    ${r.workload}: ${r.pods} on ${[...new Set(r.nodes)].join(', ')}`).join('\n'),
    );
  }, 60_000);

  test('RBAC: each ServiceAccount may do what its component needs, and no Secrets, wildcards or writes beyond that', async () => {
    const accounts = serviceAccounts(applied.manifests);
    const needs = serviceAccountNeeds(applied.manifests);
    const namespaces = applied.manifests.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name);
    // Every workload runs as a ServiceAccount of the manifests.
    expect([...needs.keys()].filter((k) => !accounts.some((a) => `${a.namespace}/${a.name}` === k))).toEqual([]);
    const result = await checkRbac(cp.client, accounts, needs, namespaces);
    summary.push(`${env}: RBAC (SubjectAccessReview per ServiceAccount)\n${formatRbac(result.rows)}`);
    expect(result.problems.join('\n')).toBe('');
  }, 120_000);
});

describe.each(['prod', 'qa'])('upgrade of %s from the previous revision of dist/', (env) => {
  const envDir = path.join(synthesizedShippedConfigs(), env);
  let previous: ReturnType<typeof previousRevision>;
  let current: Manifest[];
  let first: SyncReport;
  let second: SyncReport;

  beforeAll(async () => {
    current = loadEnvironment(envDir);
    previous = previousRevision(env, current);
    const all = [...previous.manifests, ...current].map((m) => m.object);
    await createVolumes(cp, `pv-upgrade-${env}`, all);
    first = await syncLikeArgoCd(cp, previous.manifests.map((m) => m.object));
    second = await syncLikeArgoCd(
      cp,
      current.map((m) => m.object),
      { previous: previous.manifests.map((m) => m.object) },
    );
  }, 300_000);

  afterAll(async () => {
    if (current) await removeEnvironment(cp, [...(previous?.manifests ?? []), ...current].map((m) => m.object));
  }, 120_000);

  test('the previous revision applies', () => {
    expect(problemsText(first.problems)).toBe('');
  });

  test('the current revision applies over it: no immutable field changed, every wave healthy, what is gone pruned', async () => {
    expect(problemsText(second.problems)).toBe('');
    const pods = await checkPods(cp.client, current, CLUSTER_NODES);
    expect(pods.problems.join('\n')).toBe('');
    summary.push(`upgrade ${env}: ${previous.subject.slice(0, 80)} -> current: ${second.applied.length} objects applied, ${second.pruned.length} pruned${second.pruned.length ? ` (${second.pruned.join(', ')})` : ''}, ${pods.created} pods`);
  }, 60_000);
});

describe('the versions run', () => {
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

describe('broken fixtures fail with a clear message', () => {
  const fixtures = fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.yaml')).sort();
  const env = 'prod';
  const envDir = path.join(synthesizedShippedConfigs(), env);
  let manifests: Manifest[];

  beforeAll(async () => {
    manifests = loadEnvironment(envDir);
    await createVolumes(cp, 'pv-fixtures', manifests.map((m) => m.object));
    const report = await syncLikeArgoCd(cp, manifests.map((m) => m.object));
    if (report.problems.length) throw new Error(`the unbroken ${env} does not apply:\n${problemsText(report.problems)}`);
  }, 240_000);

  afterAll(async () => {
    if (manifests) await removeEnvironment(cp, manifests.map((m) => m.object));
  }, 120_000);

  test('there is a fixture for each check', () => {
    const checks = fixtures.map((f) => (parse(fs.readFileSync(path.join(FIXTURE_DIR, f), 'utf8')) as Fixture).check);
    expect(new Set(checks)).toEqual(new Set(['apply', 'pods', 'rbac']));
  });

  test.each(fixtures)('%s', async (file) => {
    const fixture = parse(fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as Fixture;
    expect(fixture.environment).toBe(env);
    const { kind, namespace, name } = fixture.target;
    const original = manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name && m.object.metadata.namespace === namespace);
    if (!original) throw new Error(`${file}: no ${kind} ${namespace ?? ''}/${name} in ${env}`);
    const broken = applyJsonPatch(original.object, fixture.patch);
    const report = await syncLikeArgoCd(cp, [broken], { waveTimeoutMs: 15_000 });
    let messages: string[] = [];
    if (fixture.check === 'apply') messages = report.problems.map((p) => `${p.object}: ${p.message}`);
    if (fixture.check === 'pods') messages = (await checkPods(cp.client, [{ object: broken, file: original.file }], CLUSTER_NODES)).problems;
    if (fixture.check === 'rbac') {
      const result = await checkRbac(cp.client, serviceAccounts(manifests), serviceAccountNeeds(manifests), []);
      messages = result.problems;
    }
    // Put the original back for the next fixture.
    const restored = await syncLikeArgoCd(cp, [original.object], { waveTimeoutMs: 30_000 });
    summary.push(`fixture ${file}: ${fixture.description}\n    ${messages.join('\n    ')}`);
    for (const text of fixture.expect) expect(messages.join('\n')).toContain(text);
    expect(problemsText(restored.problems)).toBe('');
  }, 120_000);
});
