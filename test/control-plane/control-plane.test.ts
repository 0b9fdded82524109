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
import { stopAll } from '../support/process';
import { REPO_ROOT, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';
import { idOf, isServerSide, K8sObject, loadEnvironment, Manifest, SyncReport, syncLikeArgoCd } from './argocd-sync';
import { checkPods, checkRbac, RbacRow } from './checks';
import { ControlPlane, startControlPlane } from './cluster';
import { createVolumes, environmentDirs, installClusterAddOns, loadApplications, previousRevision, removeEnvironment } from './environment';
import { serviceAccountNeeds, serviceAccounts, undefinedAccountUsers } from './needs';
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

describe.each(environmentDirs())('%s on Kubernetes ' + KUBERNETES_VERSION, (env, envDir) => {
  let applied: Applied;

  beforeAll(async () => {
    const started = Date.now();
    applied = await applyEnvironment(envDir, `pv-${env.replace(/\W+/g, '-')}`);
    summary.push(`${env}: synced in ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(applied.report.seconds).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
  }, 240_000);

  afterAll(async () => {
    if (applied) {
      const started = Date.now();
      await removeEnvironment(cp, [...applied.manifests.map((m) => m.object), ...loadApplications(envDir).map((m) => m.object)]);
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
    // A workload that runs as an account the manifests do not define (the namespace's `default`) gets no token.
    for (const u of undefinedAccountUsers(applied.manifests)) expect(u).toEqual({ workload: u.workload, serviceAccount: expect.stringMatching(/\/default$/), automount: false });
    const result = await checkRbac(cp.client, accounts, needs, namespaces);
    summary.push(`${env}: RBAC (SubjectAccessReview per ServiceAccount)\n${formatRbac(result.rows)}`);
    expect(result.problems.join('\n')).toBe('');
  }, 120_000);

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

describe.each(['prod', 'qa'])('upgrade of %s from the previous revision of dist/', (env) => {
  const envDir = path.join(synthesizedShippedConfigs(), env);
  let previous: ReturnType<typeof previousRevision>;
  let current: Manifest[];
  let first: SyncReport;
  let second: SyncReport;
  let afterStep: SyncReport;
  let refused: string[];

  beforeAll(async () => {
    const started = Date.now();
    current = loadEnvironment(envDir);
    previous = previousRevision(env, current);
    const all = [...previous.manifests, ...current].map((m) => m.object);
    await createVolumes(cp, `pv-upgrade-${env}`, all);
    first = await syncLikeArgoCd(cp, previous.manifests.map((m) => m.object));
    const opts = { previous: previous.manifests.map((m) => m.object) };
    second = await syncLikeArgoCd(cp, current.map((m) => m.object), opts);
    refused = second.problems.filter((p) => /spec\.volumeClaimTemplates: Invalid value: .*field is immutable/s.test(p.message)).map((p) => p.object).sort();
    // The README's one-time step for those, then Argo CD's next sync.
    for (const id of refused) {
      const [, ns, name] = /^StatefulSet ([^/]+)\/(.+)$/.exec(id)!;
      const r = await cp.kubectl(['delete', 'statefulset', '-n', ns, name, '--cascade=orphan']);
      if (r.code !== 0) throw new Error(`kubectl delete statefulset -n ${ns} ${name} --cascade=orphan: ${r.stderr}`);
    }
    // Argo CD's next sync finds only those out of sync (everything else is as the current revision has it).
    const again = current.map((m) => m.object).filter((o) => refused.includes(idOf(o)));
    afterStep = refused.length ? await syncLikeArgoCd(cp, again) : second;
    summary.push(`upgrade ${env}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  afterAll(async () => {
    const started = Date.now();
    if (current) await removeEnvironment(cp, [...(previous?.manifests ?? []), ...current].map((m) => m.object));
    summary.push(`upgrade ${env}: removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 120_000);

  test('the previous revision applies', () => {
    expect(problemsText(first.problems)).toBe('');
  });

  test('the API server refuses no change but a StatefulSet claim template whose labels changed (the README upgrade step)', () => {
    const expected = claimTemplateMetadataChanges(previous.manifests.map((m) => m.object), current.map((m) => m.object));
    expect(refused).toEqual(expected);
    expect(problemsText(second.problems.filter((p) => !refused.includes(p.object)))).toBe('');
    summary.push(
      `upgrade ${env} from ${previous.subject.slice(0, 90)}:\n    ${
        refused.length ? `refused until the README step (delete --cascade=orphan): ${second.problems.map((p) => `${p.object}: ${p.message.slice(0, 160)}…`).join('\n    ')}` : 'nothing refused'
      }`,
    );
  });

  test('the current revision then applies: every wave healthy, pods on the current templates, what is gone pruned', async () => {
    expect(problemsText(afterStep.problems)).toBe('');
    const pods = await checkPods(cp.client, current, CLUSTER_NODES);
    expect(pods.problems.join('\n')).toBe('');
    summary.push(`    then ${second.applied.length + (refused.length ? afterStep.applied.length : 0)} objects applied, ${second.pruned.length} pruned${second.pruned.length ? ` (${second.pruned.join(', ')})` : ''}, ${pods.created} pods of the current templates`);
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

