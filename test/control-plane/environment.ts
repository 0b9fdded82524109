/**
 * One environment on the control plane: the cluster's add-ons (what a cluster has before Argo CD syncs the
 * stack), its volumes, its manifests from a synth or from an earlier commit, and removing it again.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ARGOCD_APPLICATION_CRD } from '../support/argocd-crd';
import { allSynthesizedEnvironments, REPO_ROOT } from '../support/synth-fixture';
import { K8sObject, Manifest, parseManifests } from './argocd-sync';
import { ControlPlane } from './cluster';
import { NVIDIA_RUNTIME_CLASS } from './nodes';

/** Every environment to apply, by name: the shipped configs (prod, qa), then the examples (`example central`, ...). */
export function environmentDirs(): Array<[string, string]> {
  return allSynthesizedEnvironments().map((e): [string, string] => [e.config.startsWith('examples/') ? `example ${e.environment}` : e.environment, e.dir]);
}

/** The default StorageClass: statically provisioned volumes, bound when the first pod using a claim is scheduled. */
export const STORAGE_CLASS = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'kubernetes.io/no-provisioner',
  volumeBindingMode: 'WaitForFirstConsumer',
  reclaimPolicy: 'Retain',
};

/** What the cluster has before the stack: a default StorageClass, the NVIDIA RuntimeClass, Argo CD's namespace and Application CRD. */
export async function installClusterAddOns(cp: ControlPlane): Promise<void> {
  const objects = [STORAGE_CLASS, NVIDIA_RUNTIME_CLASS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } }];
  const r = await cp.kubectl(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  if (r.code !== 0) throw new Error(`installing the cluster add-ons: ${r.stderr}`);
  const crd = await cp.kubectl(['apply', '-f', ARGOCD_APPLICATION_CRD]);
  if (crd.code !== 0) throw new Error(`installing the Application CRD: ${crd.stderr}`);
  const established = await cp.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/applications.argoproj.io']);
  if (established.code !== 0) throw new Error(`the Application CRD was not established: ${established.stderr}`);
}

/** The volume claims the manifests will make: each StatefulSet's templates for every replica, and each PVC. */
export function volumeClaims(objects: readonly K8sObject[]): Array<{ namespace: string; name: string; size: string; accessModes: string[] }> {
  const claims: Array<{ namespace: string; name: string; size: string; accessModes: string[] }> = [];
  for (const o of objects) {
    if (o.kind === 'StatefulSet') {
      for (const t of o.spec.volumeClaimTemplates ?? []) {
        for (let i = 0; i < (o.spec.replicas ?? 1); i++) {
          claims.push({ namespace: o.metadata.namespace!, name: `${t.metadata.name}-${o.metadata.name}-${i}`, size: t.spec.resources.requests.storage, accessModes: t.spec.accessModes });
        }
      }
    } else if (o.kind === 'PersistentVolumeClaim') {
      claims.push({ namespace: o.metadata.namespace!, name: o.metadata.name, size: o.spec.resources.requests.storage, accessModes: o.spec.accessModes });
    }
  }
  return claims;
}

/**
 * One pre-made PersistentVolume of the default class per claim the manifests will make, of exactly its size and
 * access modes; the scheduler's volume binding and the PV controller match them to the claims.
 */
export async function createVolumes(cp: ControlPlane, volumeSet: string, objects: readonly K8sObject[]): Promise<number> {
  const claims = volumeClaims(objects);
  const existing = new Set((await cp.client.list('/api/v1/persistentvolumes')).map((pv: any) => pv.metadata.name));
  let made = 0;
  for (const [i, c] of claims.entries()) {
    const name = `${volumeSet}-${i}`;
    if (existing.has(name)) continue;
    await cp.client.create('/api/v1/persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, labels: { 'test.volume-set': volumeSet } },
      spec: {
        capacity: { storage: c.size },
        accessModes: c.accessModes,
        storageClassName: STORAGE_CLASS.metadata.name,
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: `/var/lib/test-volumes/${name}` },
      },
    });
    made++;
  }
  return made;
}

/** The Argo CD Applications of an environment (`argocd/`), applied to the `argocd` namespace. */
export function loadApplications(envDir: string): Manifest[] {
  const dir = path.join(envDir, 'argocd');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort().flatMap((f) => parseManifests(fs.readFileSync(path.join(dir, f), 'utf8'), `argocd/${f}`));
}


const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume', 'RuntimeClass']);

/** Removes an environment: its Applications, namespaces (and so everything in them), cluster-wide objects and the volumes `createVolumes` made for it. */
export async function removeEnvironment(cp: ControlPlane, objects: readonly K8sObject[], volumeSet: string, timeoutMs = 90_000): Promise<void> {
  const namespaces = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Namespace') namespaces.add(o.metadata.name);
    else if (o.metadata.namespace && o.metadata.namespace !== 'argocd') namespaces.add(o.metadata.namespace);
  }
  for (const ns of namespaces) if (ns === 'default' || ns.startsWith('kube-')) namespaces.delete(ns);
  const r = await cp.kubectl(
    ['delete', '--ignore-not-found', '--wait=false', '-f', '-'],
    objects.filter((o) => o.kind === 'Application' || (CLUSTER_SCOPED.has(o.kind) && o.kind !== 'Namespace')).map((o) => JSON.stringify(o)).join('\n'),
  );
  if (r.code !== 0) throw new Error(`removing the environment's cluster-wide objects: ${r.stderr}`);
  // The pods first, as a drained cluster would be: the workloads, then their pods at once (the kubelet would
  // confirm each); the namespace controller then finds no pod to wait for.
  const deadline = Date.now() + timeoutMs;
  const workloads = ['apps/v1/deployments', 'apps/v1/statefulsets', 'apps/v1/daemonsets', 'apps/v1/replicasets', 'batch/v1/jobs'];
  for (const ns of namespaces) {
    for (const w of workloads) await cp.client.delete(`/apis/${w.replace(/\/(\w+)$/, `/namespaces/${ns}/$1`)}?propagationPolicy=Background`);
  }
  for (;;) {
    let left = 0;
    for (const ns of namespaces) {
      await cp.client.delete(`/api/v1/namespaces/${ns}/pods`, 0);
      left += (await cp.client.request('GET', `/api/v1/namespaces/${ns}/pods`)).body?.items?.length ?? 0;
    }
    if (left === 0) break;
    if (Date.now() > deadline) throw new Error(`${left} pods left in ${[...namespaces].join(', ')} after ${timeoutMs / 1000} s`);
    await new Promise((res) => setTimeout(res, 250));
  }
  // The PVC protection controller takes its time to see that no pod uses a claim any more: spare it the wait.
  for (const ns of namespaces) {
    for (const pvc of (await cp.client.request('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims`)).body?.items ?? []) {
      const claim = `/api/v1/namespaces/${ns}/persistentvolumeclaims/${pvc.metadata.name}`;
      const res = await cp.client.request('PATCH', claim, { metadata: { finalizers: null } }, 'application/merge-patch+json');
      if (res.status !== 200 && res.status !== 404) throw new Error(`PATCH ${claim}: HTTP ${res.status}: ${res.body?.message}`);
      await cp.client.delete(claim);
    }
  }
  for (const ns of namespaces) await cp.client.delete(`/api/v1/namespaces/${ns}`);
  for (;;) {
    const left: string[] = [];
    for (const ns of namespaces) if ((await cp.client.request('GET', `/api/v1/namespaces/${ns}`)).status !== 404) left.push(ns);
    if (left.length === 0) break;
    if (Date.now() > deadline) {
      const why = await Promise.all(left.map(async (ns) => `${ns}: ${JSON.stringify((await cp.client.get(`/api/v1/namespaces/${ns}`)).status?.conditions ?? [])}`));
      throw new Error(`namespaces not deleted within ${timeoutMs / 1000} s:\n${why.join('\n')}`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  for (const pv of await cp.client.list(`/api/v1/persistentvolumes?labelSelector=test.volume-set%3D${volumeSet}`)) await cp.client.delete(`/api/v1/persistentvolumes/${pv.metadata.name}`);
}

/**
 * The manifests of an environment at the last commit whose `dist/<env>/*.k8s.yaml` differ from `current`: the
 * revision Argo CD synced before this one. Throws when there is none (a shallow clone: fetch the history).
 */
export function previousRevision(env: string, current: readonly Manifest[]): { commit: string; subject: string; manifests: Manifest[] } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const currentText = new Map<string, string>();
  for (const m of current) currentText.set(m.file, `${currentText.get(m.file) ?? ''}${JSON.stringify(m.object)}\n`);
  const commits = git(['log', '--format=%H', '--', `dist/${env}`]).split('\n').filter(Boolean);
  for (const commit of commits) {
    const files = git(['ls-tree', '--name-only', `${commit}:dist/${env}`]).split('\n').filter((f) => f.endsWith('.k8s.yaml'));
    const manifests = files.flatMap((f) => parseManifests(git(['show', `${commit}:dist/${env}/${f}`]), f));
    const text = new Map<string, string>();
    for (const m of manifests) text.set(m.file, `${text.get(m.file) ?? ''}${JSON.stringify(m.object)}\n`);
    const same = text.size === currentText.size && [...text].every(([f, t]) => currentText.get(f) === t);
    if (!same) return { commit, subject: git(['log', '-1', '--format=%h %s', commit]).trim(), manifests };
  }
  throw new Error(
    `no earlier commit has a different dist/${env}/ (${commits.length} commits touch it): the upgrade test needs the git history (in CI, fetch-depth: 0)`,
  );
}

